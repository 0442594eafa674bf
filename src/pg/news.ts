/**
 * News on PostgreSQL, as in SQLite (bus/news.ts says what news is and why a cursor and its
 * acknowledgements hand each piece to one wait): a message's place is its `feed_seq`. A look at what
 * is pending is one statement; taking news runs inside the store's write transaction, which holds
 * the feed's lock (pg-store.ts), so two waits never take the same news.
 */
import { topLevelRecipient } from '../bus/news.js';
import type { News } from '../store/records.js';
import type { Sql } from './sql.js';

const CLIENT = 'client:';

export interface PgNewsBox {
  pending(sql: Sql, sessionId: string, recipient: string): Promise<News[]>;
  consume(sql: Sql, sessionId: string, recipient: string, agentIds?: readonly string[]): Promise<News[]>;
  others(sql: Sql, sessionId: string, clientId: string): Promise<string[]>;
  adopt(sql: Sql, sessionId: string, clientId: string, gone: (clientId: string) => boolean): Promise<void>;
}

/**
 * Finals are news while their turn is the agent's current one. `$1` is the session, `$2` the
 * news_for; `range` is written in `@@` (the place) and the parameters after them; `client` names
 * the parameter of the top-level client when the recipient is one.
 */
const newsSql = (range: string, client?: string) => `
  SELECT e.seq AS id, 'final' AS kind, e.agent_id, e.turn, NULL AS message_seq, e.ts AS created_at
    FROM events e JOIN agents a ON a.id = e.agent_id
   WHERE e.session_id = $1 AND e.news_for = $2 AND ${range.replaceAll('@@', 'e.seq')}
     AND a.turn = e.turn ${client ? `AND (a.client_id = ${client} OR a.client_id IS NULL)` : ''}
  UNION ALL
  SELECT m.feed_seq, 'message', coalesce(m.sender_agent_id, ''), NULL, m.seq, m.ts
    FROM messages m LEFT JOIN agents a ON a.id = m.sender_agent_id
   WHERE m.session_id = $1 AND m.news_for = $2 AND ${range.replaceAll('@@', 'm.feed_seq')}
     ${client ? `AND (a.client_id = ${client} OR a.client_id IS NULL)` : ''}
   ORDER BY 1`;

/** The recipient's cursor, `$3`: what was delivered to it up to, all of it acknowledged. */
const CURSOR = 'coalesce((SELECT delivered_through FROM news_cursors WHERE session_id = $1 AND recipient = $3), 0)';
const PENDING_RANGE = `@@ > ${CURSOR} AND @@ NOT IN (SELECT seq FROM news_acks WHERE session_id = $1 AND recipient = $3)`;
const AGENT_PENDING = newsSql(PENDING_RANGE);
const CLIENT_PENDING = newsSql(PENDING_RANGE, '$4');
const CLIENT_BETWEEN = newsSql('@@ > $3 AND @@ <= $4', '$5');

/**
 * After news was taken: the cursor moves up to `$3` (null: the feed's head), never back; the
 * acknowledgements it now covers go; the taken news above it (`$4`) is acknowledged.
 */
const SETTLE = `
  WITH bound AS (SELECT coalesce($3::bigint, (SELECT seq FROM feed_head)) AS up_to),
       moved AS (
         INSERT INTO news_cursors (session_id, recipient, delivered_through)
         SELECT $1, $2, up_to FROM bound
         ON CONFLICT (session_id, recipient) DO UPDATE
           SET delivered_through = greatest(news_cursors.delivered_through, excluded.delivered_through)),
       covered AS (
         DELETE FROM news_acks WHERE session_id = $1 AND recipient = $2 AND seq <= (SELECT up_to FROM bound))
  INSERT INTO news_acks (session_id, recipient, seq)
  SELECT $1, $2, taken FROM unnest($4::bigint[]) AS taken, bound WHERE taken > bound.up_to
  ON CONFLICT DO NOTHING`;

const ACK = 'INSERT INTO news_acks (session_id, recipient, seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING';
const SET_CURSOR = `
  INSERT INTO news_cursors (session_id, recipient, delivered_through) VALUES ($1, $2, $3)
  ON CONFLICT (session_id, recipient) DO UPDATE SET delivered_through = excluded.delivered_through`;

export function createPgNewsBox(): PgNewsBox {
  const through = async (sql: Sql, sessionId: string, recipient: string) =>
    (
      await sql.one<{ through: number }>(
        'SELECT delivered_through AS through FROM news_cursors WHERE session_id = $1 AND recipient = $2',
        [sessionId, recipient],
      )
    )?.through ?? 0;

  const pending = (sql: Sql, sessionId: string, recipient: string): Promise<News[]> =>
    recipient.startsWith(CLIENT)
      ? sql.rows<News>(CLIENT_PENDING, [sessionId, '', recipient, recipient.slice(CLIENT.length)])
      : sql.rows<News>(AGENT_PENDING, [sessionId, recipient, recipient]);

  /**
   * Takes `taken` out of `waiting` (the recipient's pending news, read under the write lock): the
   * cursor moves over everything delivered — up to the oldest news still waiting, else the head.
   */
  const settle = async (sql: Sql, sessionId: string, recipient: string, waiting: News[], taken: News[]) => {
    const ids = new Set(taken.map((n) => n.id));
    const left = waiting.find((n) => !ids.has(n.id));
    await sql.run(SETTLE, [sessionId, recipient, left ? left.id - 1 : null, [...ids]]);
  };

  const adoptOne = async (sql: Sql, sessionId: string, clientId: string, from: string) => {
    const mine = topLevelRecipient(clientId);
    const theirs = topLevelRecipient(from);
    // One cursor for the union: the lower one, with what the other had delivered above it acknowledged.
    const ours = { client: clientId, through: await through(sql, sessionId, mine) };
    const other = { client: from, through: await through(sql, sessionId, theirs) };
    const [low, high] = ours.through <= other.through ? [ours, other] : [other, ours];
    const delivered = await sql.rows<News>(CLIENT_BETWEEN, [sessionId, '', low.through, high.through, high.client]);
    for (const n of delivered) await sql.run(ACK, [sessionId, mine, n.id]);
    await sql.run(
      `INSERT INTO news_acks (session_id, recipient, seq)
       SELECT session_id, $1, seq FROM news_acks WHERE session_id = $2 AND recipient = $3 ON CONFLICT DO NOTHING`,
      [mine, sessionId, theirs],
    );
    await sql.run(SET_CURSOR, [sessionId, mine, low.through]);
    await sql.run('DELETE FROM news_cursors WHERE session_id = $1 AND recipient = $2', [sessionId, theirs]);
    await sql.run('DELETE FROM news_acks WHERE session_id = $1 AND recipient = $2', [sessionId, theirs]);
    await sql.run('UPDATE agents SET client_id = $1 WHERE session_id = $2 AND client_id = $3', [
      clientId,
      sessionId,
      from,
    ]);
    await settle(sql, sessionId, mine, await pending(sql, sessionId, mine), []);
  };

  const others = async (sql: Sql, sessionId: string, clientId: string) =>
    (
      await sql.rows<{ client_id: string }>(
        'SELECT DISTINCT client_id FROM agents WHERE session_id = $1 AND client_id IS NOT NULL AND client_id <> $2',
        [sessionId, clientId],
      )
    ).map((row) => row.client_id);

  return {
    pending,
    async consume(sql, sessionId, recipient, agentIds) {
      const waiting = await pending(sql, sessionId, recipient);
      const taken = waiting.filter(
        (n) => agentIds === undefined || n.kind === 'message' || agentIds.includes(n.agent_id),
      );
      if (taken.length > 0) await settle(sql, sessionId, recipient, waiting, taken);
      return taken;
    },
    others,
    async adopt(sql, sessionId, clientId, gone) {
      for (const other of await others(sql, sessionId, clientId)) {
        if (gone(other)) await adoptOne(sql, sessionId, clientId, other);
      }
    },
  };
}
