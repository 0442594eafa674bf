/**
 * The event feed on PostgreSQL (shapes in store/feed-events.ts). A message's place is its
 * `feed_seq`; every other event is a row of `events`; both are numbered from `feed_head`, which
 * every write transaction locks first (pg-store.ts), so places are given, and commit, in order. A
 * read runs in one snapshot, in which the feed is therefore always a prefix: a reader asking for
 * what came after its cursor never misses an event. `append` runs inside the change's transaction.
 */
import {
  FEED_EVENT_TYPES,
  feedEventSchema,
  type FeedEvent,
  type FeedEventType,
  type FeedFilter,
  type NewEvent,
} from '../store/feed-events.js';
import type { FeedStore } from '../store/feed-store.js';
import { MESSAGE_COLUMNS, rowToMessage, type PgMessageRow } from './message-rows.js';
import { placeholders, type Sql, type Tables } from './sql.js';

export interface PgFeed extends Tables<FeedStore> {
  /** Records `event` in the open write transaction; returns its place. `newsFor` makes it news (news.ts). */
  append(sql: Sql, event: NewEvent, newsFor?: string | null): Promise<number>;
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
  data: Record<string, unknown>;
}

/** The next place in the feed: the statement every writer of the feed runs (its row is locked already). */
export const NEXT_FEED_SEQ = 'UPDATE feed_head SET seq = seq + 1 RETURNING seq';

async function readMessages(sql: Sql, filter: FeedFilter, order: Order): Promise<FeedEvent[]> {
  const params: unknown[] = [filter.since];
  let where = 'feed_seq > $1';
  if (filter.sessionId !== undefined) {
    params.push(filter.sessionId);
    where += ` AND session_id = $${params.length}`;
  }
  params.push(filter.limit + 1);
  const rows = await sql.rows<PgMessageRow & { feed_seq: number }>(
    `SELECT feed_seq, ${MESSAGE_COLUMNS} FROM messages WHERE ${where} ORDER BY feed_seq ${order} LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => ({
    seq: row.feed_seq,
    session_id: row.session_id,
    ts: row.ts,
    type: 'message' as const,
    agent_id: row.sender_agent_id,
    turn: null,
    message: rowToMessage(row),
  }));
}

async function readEvents(
  sql: Sql,
  filter: FeedFilter,
  types: readonly FeedEventType[],
  order: Order,
): Promise<FeedEvent[]> {
  const stored = types.filter((t) => t !== 'message');
  const params: unknown[] = [filter.since];
  let where = 'seq > $1';
  if (filter.sessionId !== undefined) {
    params.push(filter.sessionId);
    where += ` AND session_id = $${params.length}`;
  }
  if (stored.length < FEED_EVENT_TYPES.length - 1) {
    where += ` AND type IN (${placeholders(params.length + 1, stored.length)})`;
    params.push(...stored);
  }
  params.push(filter.limit + 1);
  const rows = await sql.rows<EventRow>(
    `SELECT seq, session_id, ts, type, agent_id, turn, data FROM events WHERE ${where}
      ORDER BY seq ${order} LIMIT $${params.length}`,
    params,
  );
  // Parsed, not cast. A type this maestro does not know (written by a newer one) is left out.
  return rows.flatMap((row) => {
    if (!KNOWN.has(row.type)) return [];
    const { data, ...envelope } = row;
    return [feedEventSchema.parse({ ...envelope, ...data })];
  });
}

/** Each list is in feed order and holds up to limit + 1: the first (or last) `limit` of their merge are exact. */
async function both(sql: Sql, filter: FeedFilter, order: Order): Promise<FeedEvent[]> {
  const types = filter.types?.length ? filter.types : FEED_EVENT_TYPES;
  const messages = types.includes('message') ? await readMessages(sql, filter, order) : [];
  const others = types.some((t) => t !== 'message') ? await readEvents(sql, filter, types, order) : [];
  return [...messages, ...others].sort((a, b) => a.seq - b.seq);
}

export function createPgFeed(): PgFeed {
  return {
    async append(sql, event, newsFor = null) {
      const row = await sql.one<{ seq: number }>(
        `WITH next AS (${NEXT_FEED_SEQ})
         INSERT INTO events (seq, session_id, ts, type, agent_id, turn, data, news_for)
         SELECT next.seq, $1::text, $2::text, $3::text, $4::text, $5::integer, $6::json, $7::text FROM next
         RETURNING seq`,
        [
          event.session_id,
          new Date().toISOString(),
          event.type,
          event.agent_id,
          event.turn,
          JSON.stringify(event.data),
          newsFor,
        ],
      );
      return row!.seq;
    },
    async read(sql, filter) {
      const merged = await both(sql, filter, 'ASC');
      return { events: merged.slice(0, filter.limit), has_more: merged.length > filter.limit };
    },
    async latest(sql, filter, count) {
      const merged = await both(sql, { ...filter, since: 0, limit: count }, 'DESC');
      return merged.slice(Math.max(0, merged.length - count));
    },
    head: async (sql) => (await sql.one<{ seq: number }>('SELECT seq FROM feed_head'))?.seq ?? 0,
  };
}
