/**
 * The soak's audit: what the database holds at the end, read with plain SQL rather than through
 * maestro's own stores, set against what the run saw acknowledged and delivered (ledger.ts). One
 * audit for both engines: the statements are written once (`$n` parameters, SQL both engines
 * speak); a source says only where the engines differ — a message's place in the feed, the feed's
 * head, and the engine's own integrity checks.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { INBOX } from './background.js';
import { checkDeliveries, checkMessages, formatId, type Ledger, type StoredMessage } from './ledger.js';

export interface AuditSource {
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** The column of `messages` that is a message's place in the feed. */
  readonly place: string;
  /** A statement returning the feed's head as `seq` (no row: nothing was ever written). */
  readonly head: string;
  integrity(): Promise<{ integrity: string; foreignKeys: number }>;
  close(): Promise<void>;
}

export function sqliteSource(dbFile: string): AuditSource {
  const db = new Database(dbFile, { readonly: true });
  // better-sqlite3 binds named parameters: $1 is written @p1 and given as { p1 }.
  const named = (params: readonly unknown[]) => Object.fromEntries(params.map((value, i) => [`p${i + 1}`, value]));
  return {
    all: async <R>(sql: string, params: readonly unknown[] = []) =>
      db.prepare(sql.replace(/\$(\d+)/g, '@p$1')).all(named(params)) as R[],
    place: 'row_id',
    head: `SELECT seq FROM sqlite_sequence WHERE name = 'messages'`,
    integrity: async () => ({
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      foreignKeys: (db.pragma('foreign_key_check') as unknown[]).length,
    }),
    close: async () => void db.close(),
  };
}

export async function postgresSource(url: string): Promise<AuditSource> {
  const client = new pg.Client({
    connectionString: url,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  await client.connect();
  return {
    all: async <R>(sql: string, params: readonly unknown[] = []) =>
      (await client.query(sql, params as unknown[])).rows as R[],
    place: 'feed_seq',
    head: 'SELECT seq FROM feed_head',
    // PostgreSQL checks every constraint, foreign keys included, at each statement or commit, and
    // recovers its own files after a crash: there is no separate check to run afterwards.
    integrity: async () => ({ integrity: 'ok', foreignKeys: 0 }),
    close: () => client.end(),
  };
}

export type Audit = Awaited<ReturnType<typeof audit>>;

export async function audit(source: AuditSource, session: string, ledger: Ledger) {
  const seqs = async (sql: string, params: readonly unknown[]) =>
    (await source.all<{ seq: number }>(sql, params)).map((m) => formatId(m.seq));
  const count = async (sql: string, params: readonly unknown[] = []) =>
    Number((await source.all<{ n: number }>(sql, params))[0]!.n);
  const place = source.place;

  const stored = await source.all<StoredMessage>(
    'SELECT seq, summary FROM messages WHERE session_id = $1 ORDER BY seq',
    [session],
  );
  const inboxOwed = await seqs(
    `SELECT seq FROM messages WHERE session_id = $1 AND (to_role = $2 OR to_role = 'all') AND from_role <> $2`,
    [session, INBOX],
  );
  const messageNews = await seqs(`SELECT seq FROM messages WHERE session_id = $1 AND news_for = ''`, [session]);
  const upward = await seqs(
    `SELECT seq FROM messages WHERE session_id = $1 AND type = 'message' AND to_role = 'coordinator' AND sender_agent_id IS NOT NULL`,
    [session],
  );
  // A turn's ending is owed to a wait unless the agent had already moved on to its next turn.
  // News for a worker (about its own sub-worker) is checked for doubles only: a worker killed
  // between its wait and writing down what it got cannot say what it was given.
  const finals = await source.all<{ key: string; excused: boolean | number }>(
    `SELECT e.agent_id || '#' || e.turn AS key, (e.turn < a.turn OR e.news_for <> '') AS excused
       FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.session_id = $1 AND e.news_for IS NOT NULL`,
    [session],
  );
  const superseded = new Set(finals.filter((f) => f.excused).map((f) => f.key));
  const reportsWithoutNews = await count(
    `SELECT count(*) AS n FROM agent_turns t WHERE t.reported_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.agent_id = t.agent_id AND e.turn = t.turn AND e.news_for IS NOT NULL)`,
  );
  // Top-level news past the coordinator's cursor, not acknowledged, not stale.
  const unconsumed = await count(
    `WITH cursor AS (SELECT coalesce(max(delivered_through), 0) AS through FROM news_cursors
                      WHERE session_id = $1 AND recipient LIKE 'client:%'),
          news AS (SELECT e.seq FROM events e JOIN agents a ON a.id = e.agent_id
                    WHERE e.session_id = $1 AND e.news_for = '' AND a.turn = e.turn
                   UNION ALL SELECT ${place} FROM messages WHERE session_id = $1 AND news_for = '')
     SELECT count(*) AS n FROM news, cursor WHERE news.seq > cursor.through
        AND news.seq NOT IN (SELECT seq FROM news_acks WHERE session_id = $1 AND recipient LIKE 'client:%')`,
    [session],
  );
  // The feed: every change has one place, 1..head with no gap (nothing is deleted in a soak) and
  // none twice; each agent's last status event is the status it has; no cursor is past the head.
  const places = (
    await source.all<{ seq: number }>(
      `SELECT ${place} AS seq FROM messages UNION ALL SELECT seq FROM events ORDER BY 1`,
    )
  ).map((r) => Number(r.seq));
  const head = Number((await source.all<{ seq: number }>(source.head))[0]?.seq ?? 0);
  const distinct = new Set(places);
  const feedGaps = head - distinct.size + places.filter((seq) => seq < 1 || seq > head).length;
  const feedDuplicates = places.length - distinct.size;
  const statusMismatches = await count(
    `SELECT count(*) AS n FROM agents a
      WHERE a.status IS DISTINCT FROM (SELECT e.data ->> 'to' FROM events e
                                        WHERE e.agent_id = a.id AND e.type = 'agent' ORDER BY e.seq DESC LIMIT 1)`,
  );
  const cursorsPastHead = await count('SELECT count(*) AS n FROM news_cursors WHERE delivered_through > $1', [head]);
  const { integrity, foreignKeys } = await source.integrity();
  const spawned = await source.all<{ depth: number; n: number }>(
    'SELECT depth, count(*) AS n FROM agents WHERE session_id = $1 GROUP BY depth',
    [session],
  );
  const stillOpen = await source.all<Record<string, unknown>>(
    `SELECT task_name, status, status_reason, pid, owner_host, owner_pid, depth FROM agents
      WHERE status <> 'shutdown' OR pid IS NOT NULL`,
  );
  return {
    messages: checkMessages(ledger.committed, stored),
    inbox: checkDeliveries(inboxOwed, ledger.inboxReads),
    upward: {
      ...checkDeliveries(messageNews, ledger.waitMessages),
      withoutNews: upward.filter((id) => !messageNews.includes(id)),
    },
    finals: {
      ...checkDeliveries(
        finals.map((f) => f.key),
        ledger.waitFinished,
        superseded,
      ),
      reportsWithoutNews,
    },
    workerMail: { delivered: ledger.workerMailReads.size, duplicates: ledger.workerMailReads.repeated() },
    unconsumed,
    byCoordinator: Number(spawned.find((r) => r.depth === 1)?.n ?? 0),
    byWorkers: spawned.filter((r) => r.depth > 1).reduce((sum, r) => sum + Number(r.n), 0),
    feed: {
      events: places.length,
      head,
      gaps: feedGaps,
      duplicates: feedDuplicates,
      statusMismatches,
      cursorsPastHead,
    },
    integrity,
    foreignKeys,
    openAgents: stillOpen.length,
    stillOpen,
  };
}
