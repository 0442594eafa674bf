/**
 * News: the events of the feed that end a wait_agent, handed to each recipient once. An event is
 * news for the recipient named in its `news_for` (set in the transaction that wrote it): a child's
 * turn ending for its parent agent, or '' — the top level of the session — where each top-level
 * client hears only of the agents of its own tree (`agents.client_id`). Each recipient has its own
 * cursor: news up to it has been delivered; news a wait for named targets took out of order is
 * acknowledged one by one until the cursor passes it. Consuming happens in one write transaction,
 * so two waits never take the same news; peeking takes nothing, and nor does reading the feed.
 */
import type { News } from '../store/records.js';
import type { Db } from './db.js';
import type { Feed } from './feed.js';

const CLIENT = 'client:';

/** The recipient name of a top-level client (a coordinator that is not an agent). */
export function topLevelRecipient(clientId: string | null): string {
  return `${CLIENT}${clientId ?? ''}`;
}

export interface NewsBox {
  /** The recipient's news not delivered yet, oldest first; takes nothing. */
  pending(sessionId: string, recipient: string): News[];
  /** Takes the recipient's news about `agentIds` (all when absent) and every message, oldest first. */
  consume(sessionId: string, recipient: string, agentIds?: readonly string[]): News[];
  /** The top-level clients other than `clientId` that started agents of the session. */
  others(sessionId: string, clientId: string): string[];
  /**
   * Gives `clientId` the agents (and their undelivered news) of every other top-level client of
   * the session for which `gone` says true: a coordinator that restarted, or whose window closed.
   */
  adopt(sessionId: string, clientId: string, gone: (clientId: string) => boolean): void;
}

export function createNewsBox(db: Db, feed: Feed): NewsBox {
  // Finals are news while their turn is the agent's current one: once it has new work, how an
  // earlier turn ended is no longer news to wait for.
  const newsSql = (topLevel: boolean, range: string) => `
    SELECT e.seq AS id, 'final' AS kind, e.agent_id, e.turn, NULL AS message_seq, e.ts AS created_at
      FROM events e JOIN agents a ON a.id = e.agent_id
     WHERE e.session_id = @session AND e.news_for = @news_for AND ${range.replaceAll('@@', 'e.seq')}
       AND a.turn = e.turn ${topLevel ? 'AND (a.client_id = @client OR a.client_id IS NULL)' : ''}
    UNION ALL
    SELECT m.row_id, 'message', coalesce(m.sender_agent_id, ''), NULL, m.seq, m.ts
      FROM messages m LEFT JOIN agents a ON a.id = m.sender_agent_id
     WHERE m.session_id = @session AND m.news_for = @news_for AND ${range.replaceAll('@@', 'm.row_id')}
       ${topLevel ? 'AND (a.client_id = @client OR a.client_id IS NULL)' : ''}
     ORDER BY 1`;
  const pendingRange = `@@ > @through AND @@ NOT IN (SELECT seq FROM news_acks WHERE session_id = @session AND recipient = @recipient)`;
  const statements = {
    agentPending: db.prepare(newsSql(false, pendingRange)),
    clientPending: db.prepare(newsSql(true, pendingRange)),
    clientBetween: db.prepare(newsSql(true, '@@ > @after AND @@ <= @upto')),
  };
  const cursorOf = db.prepare<[string, string], { through: number }>(
    'SELECT delivered_through AS through FROM news_cursors WHERE session_id = ? AND recipient = ?',
  );
  const setCursor = db.prepare<[string, string, number]>(
    `INSERT INTO news_cursors (session_id, recipient, delivered_through) VALUES (?, ?, ?)
     ON CONFLICT DO UPDATE SET delivered_through = excluded.delivered_through`,
  );
  const ack = db.prepare<[string, string, number]>(
    'INSERT OR IGNORE INTO news_acks (session_id, recipient, seq) VALUES (?, ?, ?)',
  );
  const dropAcksThrough = db.prepare<[string, string, number]>(
    'DELETE FROM news_acks WHERE session_id = ? AND recipient = ? AND seq <= ?',
  );
  const moveAcks = db.prepare<[string, string, string]>(
    `INSERT OR IGNORE INTO news_acks (session_id, recipient, seq)
     SELECT session_id, ?, seq FROM news_acks WHERE session_id = ? AND recipient = ?`,
  );
  const forget = db.prepare<[string, string]>('DELETE FROM news_cursors WHERE session_id = ? AND recipient = ?');
  const forgetAcks = db.prepare<[string, string]>('DELETE FROM news_acks WHERE session_id = ? AND recipient = ?');
  const otherClients = db.prepare<[string, string], { client_id: string }>(
    'SELECT DISTINCT client_id FROM agents WHERE session_id = ? AND client_id IS NOT NULL AND client_id <> ?',
  );
  const readdress = db.prepare<[string, string, string]>(
    'UPDATE agents SET client_id = ? WHERE session_id = ? AND client_id = ?',
  );

  const through = (sessionId: string, recipient: string) => cursorOf.get(sessionId, recipient)?.through ?? 0;

  const pending = (sessionId: string, recipient: string): News[] => {
    const params = { session: sessionId, recipient, through: through(sessionId, recipient) };
    return (
      recipient.startsWith(CLIENT)
        ? statements.clientPending.all({ ...params, news_for: '', client: recipient.slice(CLIENT.length) })
        : statements.agentPending.all({ ...params, news_for: recipient })
    ) as News[];
  };

  /** Moves the cursor over everything delivered: up to the oldest news still pending, else the head. */
  const advance = (sessionId: string, recipient: string) => {
    const left = pending(sessionId, recipient);
    const upTo = left.length ? left[0]!.id - 1 : feed.head();
    if (upTo > through(sessionId, recipient)) setCursor.run(sessionId, recipient, upTo);
    dropAcksThrough.run(sessionId, recipient, upTo);
  };

  const consumeTx = db.transaction((sessionId: string, recipient: string, agentIds?: readonly string[]) => {
    const taken = pending(sessionId, recipient).filter(
      (n) => agentIds === undefined || n.kind === 'message' || agentIds.includes(n.agent_id),
    );
    if (taken.length === 0) return taken;
    for (const n of taken) ack.run(sessionId, recipient, n.id);
    advance(sessionId, recipient);
    return taken;
  });

  const adoptTx = db.transaction((sessionId: string, clientId: string, from: string) => {
    const mine = topLevelRecipient(clientId);
    const theirs = topLevelRecipient(from);
    // One cursor for the union: the lower one, with what the other had delivered above it acknowledged.
    const [low, high] = [
      { recipient: mine, client: clientId, through: through(sessionId, mine) },
      { recipient: theirs, client: from, through: through(sessionId, theirs) },
    ].sort((a, b) => a.through - b.through) as [
      { recipient: string; through: number; client: string },
      { recipient: string; through: number; client: string },
    ];
    const delivered = statements.clientBetween.all({
      session: sessionId,
      news_for: '',
      client: high.client,
      after: low.through,
      upto: high.through,
    }) as News[];
    for (const n of delivered) ack.run(sessionId, mine, n.id);
    moveAcks.run(mine, sessionId, theirs);
    setCursor.run(sessionId, mine, low.through);
    forget.run(sessionId, theirs);
    forgetAcks.run(sessionId, theirs);
    readdress.run(clientId, sessionId, from);
    advance(sessionId, mine);
  });

  return {
    pending,
    consume: (sessionId, recipient, agentIds) => consumeTx.immediate(sessionId, recipient, agentIds),
    others: (sessionId, clientId) => otherClients.all(sessionId, clientId).map((row) => row.client_id),
    adopt(sessionId, clientId, gone) {
      for (const { client_id } of otherClients.all(sessionId, clientId)) {
        if (gone(client_id)) adoptTx.immediate(sessionId, clientId, client_id);
      }
    },
  };
}
