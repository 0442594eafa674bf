/**
 * The event feed in SQLite (shapes in feed-events.ts). Messages are read from `messages`, whose
 * AUTOINCREMENT row id is their place in the feed; every other event is a row of `events`
 * numbered from the same counter (migration 5). `append` must run inside the write transaction of
 * the change it records, so the event commits exactly when the change does; commits are serial,
 * so seq order is commit order and a reader that asks for seq > its cursor never misses one.
 * Reading takes nothing from anyone: any number of readers follow the feed, each by its own cursor.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import {
  FEED_EVENT_TYPES,
  feedEventSchema,
  type FeedEvent,
  type FeedEventType,
  type FeedFilter,
  type NewEvent,
} from '../store/feed-events.js';
import type { FeedStore } from '../store/feed-store.js';
import type { Synchronous } from './synchronous.js';
import { COLUMNS, rowToMessage, type MessageRow } from './message-rows.js';

/** The synchronous statements behind the SQLite FeedStore, and how the other tables append to it. */
export interface Feed extends Synchronous<FeedStore> {
  /**
   * Records `event` in the open write transaction; returns its place in the feed. `newsFor` makes
   * it news for that recipient (news.ts).
   */
  append(event: NewEvent, newsFor?: string | null): number;
}

type Order = 'ASC' | 'DESC';

const KNOWN: ReadonlySet<string> = new Set(FEED_EVENT_TYPES);

interface EventRow {
  seq: number;
  session_id: string;
  ts: string;
  type: string;
  agent_id: string | null;
  turn: number | null;
  data: string;
}

export function createFeed(db: Db): Feed {
  const advance = db.prepare<[], { seq: number }>(
    `UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'messages' RETURNING seq`,
  );
  const insert = db.prepare(
    `INSERT INTO events (seq, session_id, ts, type, agent_id, turn, data, news_for)
     VALUES (@seq, @session_id, @ts, @type, @agent_id, @turn, @data, @news_for)`,
  );
  const head = db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'messages'`);
  // `+session_id`: scan by feed position (the primary key) from the cursor, never the whole
  // session through its index; followers read near the head.
  const statements = new Map<string, Statement<unknown[]>>();
  const prepared = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare<unknown[]>(sql)));
    return stmt;
  };

  const readMessages = (filter: FeedFilter, order: Order): FeedEvent[] => {
    const session = filter.sessionId !== undefined ? ' AND +session_id = ?' : '';
    const rows = prepared(
      `SELECT row_id, ${COLUMNS} FROM messages WHERE row_id > ?${session} ORDER BY row_id ${order} LIMIT ?`,
    ).all(
      ...[filter.since, ...(filter.sessionId !== undefined ? [filter.sessionId] : []), filter.limit + 1],
    ) as (MessageRow & { row_id: number })[];
    return rows.map((row) => ({
      seq: row.row_id,
      session_id: row.session_id,
      ts: row.ts,
      type: 'message' as const,
      agent_id: row.sender_agent_id,
      turn: null,
      message: rowToMessage(row),
    }));
  };

  const readEvents = (filter: FeedFilter, types: readonly FeedEventType[], order: Order): FeedEvent[] => {
    const stored = types.filter((t) => t !== 'message');
    const params: unknown[] = [filter.since];
    let where = 'seq > ?';
    if (filter.sessionId !== undefined) {
      where += ' AND +session_id = ?';
      params.push(filter.sessionId);
    }
    if (stored.length < FEED_EVENT_TYPES.length - 1) {
      where += ` AND type IN (${stored.map(() => '?').join(', ')})`;
      params.push(...stored);
    }
    const rows = prepared(
      `SELECT seq, session_id, ts, type, agent_id, turn, data FROM events WHERE ${where} ORDER BY seq ${order} LIMIT ?`,
    ).all(...params, filter.limit + 1) as EventRow[];
    // Parsed, not cast. A type this maestro does not know (written by a newer one) is left out.
    return rows.flatMap((row) => {
      if (!KNOWN.has(row.type)) return [];
      const { data, ...envelope } = row;
      return [feedEventSchema.parse({ ...envelope, ...(JSON.parse(data) as object) })];
    });
  };

  // Each list is in feed order and holds up to limit + 1: the first (or last) `limit` of their merge are exact.
  const both = (filter: FeedFilter, order: Order): FeedEvent[] => {
    const types = filter.types?.length ? filter.types : FEED_EVENT_TYPES;
    const messages = types.includes('message') ? readMessages(filter, order) : [];
    const others = types.some((t) => t !== 'message') ? readEvents(filter, types, order) : [];
    return [...messages, ...others];
  };

  // Both tables from one snapshot: one look at the log for changes instead of one per query.
  const readTx = db.transaction(both);

  return {
    append(event, newsFor = null) {
      const { seq } = advance.get()!;
      const ts = new Date().toISOString();
      insert.run({ ...event, seq, ts, data: JSON.stringify(event.data), news_for: newsFor });
      return seq;
    },
    read(filter) {
      const merged = readTx.deferred(filter, 'ASC').sort((a, b) => a.seq - b.seq);
      return { events: merged.slice(0, filter.limit), has_more: merged.length > filter.limit };
    },
    latest(filter, count) {
      const merged = readTx.deferred({ ...filter, since: 0, limit: count }, 'DESC').sort((a, b) => a.seq - b.seq);
      return merged.slice(Math.max(0, merged.length - count));
    },
    head: () => head.get()?.seq ?? 0,
  };
}
