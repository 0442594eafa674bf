/**
 * The message bus on PostgreSQL. A log is one statement, maestro_log (migrations.ts v2), which takes
 * the feed's lock (pg-store.ts) and then advances the session's counter, takes the feed's place and
 * inserts the row, so ids per session are contiguous whatever number of writers on whatever number
 * of machines. Counts per (from, to, type) are kept by trigger, as in SQLite, so a filtered
 * total costs a handful of rows; search uses each message's tsvector (search.ts).
 */
import { formatMessageId } from '../bus/message.js';
import { checkSize } from '../store/message-size.js';
import type { MessageStore } from '../store/message-store.js';
import type { MessageFilter, SessionSummary } from '../store/records.js';
import { createPgMailbox } from './mailbox.js';
import { MESSAGE_COLUMNS, rowToMessage, type PgMessageRow } from './message-rows.js';
import { searchQuery, searchVector } from './search.js';
import { placeholders, type Sql, type Tables } from './sql.js';

function filterSql(filter: MessageFilter, params: unknown[]): string {
  let sql = '';
  if (filter.from !== undefined) {
    params.push(filter.from);
    sql += ` AND from_role = $${params.length}`;
  }
  if (filter.to !== undefined) {
    params.push(filter.to);
    sql += ` AND to_role = $${params.length}`;
  }
  if (filter.types && filter.types.length > 0) {
    sql += ` AND type IN (${placeholders(params.length + 1, filter.types.length)})`;
    params.push(...filter.types);
  }
  return sql;
}

async function total(sql: Sql, sessionId: string, filter: MessageFilter): Promise<number> {
  const params: unknown[] = [sessionId];
  const where = filterSql(filter, params);
  const row = await sql.one<{ n: number }>(
    `SELECT coalesce(sum(n), 0) AS n FROM message_counts WHERE session_id = $1${where}`,
    params,
  );
  return row!.n;
}

/** One statement, whether alone or inside a unit of work: the function takes the write lock itself (migrations.ts v2). */
const LOG = 'SELECT maestro_log($1, $2, $3, $4, $5, $6, $7::json, $8, $9, $10::tsvector) AS seq';

export function createPgMessageTables(): Tables<MessageStore> {
  return {
    ...createPgMailbox(),

    async log(sql, message, newsFor = null) {
      const data = checkSize(message);
      const ts = new Date().toISOString();
      const row = await sql.one<{ seq: number }>(LOG, [
        message.session_id,
        ts,
        message.from,
        message.to,
        message.type,
        message.summary,
        data,
        message.sender_agent_id,
        newsFor,
        searchVector(message.summary, data),
      ]);
      const seq = Number(row!.seq);
      return {
        id: formatMessageId(seq),
        session_id: message.session_id,
        ts,
        from: message.from,
        to: message.to,
        type: message.type,
        summary: message.summary,
        data: message.data,
        sender_agent_id: message.sender_agent_id,
      };
    },

    async get(sql, sessionId, seq) {
      const row = await sql.one<PgMessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE session_id = $1 AND seq = $2`,
        [sessionId, seq],
      );
      return row ? rowToMessage(row) : null;
    },

    async list(sql, sessionId, filter, { limit, sinceSeq, beforeSeq }) {
      const params: unknown[] = [sessionId];
      let where = 'session_id = $1';
      if (sinceSeq !== undefined) {
        params.push(sinceSeq);
        where += ` AND seq > $${params.length}`;
      }
      if (beforeSeq !== undefined) {
        params.push(beforeSeq);
        where += ` AND seq < $${params.length}`;
      }
      where += filterSql(filter, params);
      const ascending = sinceSeq !== undefined;
      params.push(limit + 1);
      const rows = await sql.rows<PgMessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${where}
          ORDER BY seq ${ascending ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
        params,
      );
      const page = rows.slice(0, limit);
      return {
        total: await total(sql, sessionId, filter),
        messages: (ascending ? page : page.reverse()).map(rowToMessage),
        has_more: rows.length > limit,
      };
    },

    async search(sql, sessionId, query, filter, limit, beforeSeq) {
      const tsquery = searchQuery(query);
      if (tsquery === null) return { total: 0, messages: [], has_more: false };
      const params: unknown[] = [tsquery, sessionId];
      const where = `search @@ $1::tsquery AND session_id = $2${filterSql(filter, params)}`;
      const count = await sql.one<{ n: number }>(`SELECT count(*) AS n FROM messages WHERE ${where}`, params);
      const paging = [...params];
      let before = '';
      if (beforeSeq !== undefined) {
        paging.push(beforeSeq);
        before = ` AND seq < $${paging.length}`;
      }
      paging.push(limit + 1);
      const rows = await sql.rows<PgMessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${where}${before} ORDER BY seq DESC LIMIT $${paging.length}`,
        paging,
      );
      return {
        total: count!.n,
        messages: rows.slice(0, limit).reverse().map(rowToMessage),
        has_more: rows.length > limit,
      };
    },

    async remove(sql, sessionId, seq) {
      const row = await sql.one<PgMessageRow>(
        `DELETE FROM messages WHERE session_id = $1 AND seq = $2 RETURNING ${MESSAGE_COLUMNS}`,
        [sessionId, seq],
      );
      return row ? rowToMessage(row) : null;
    },

    async clear(sql, sessionId) {
      const removed = await sql.run('DELETE FROM messages WHERE session_id = $1', [sessionId]);
      await sql.run('DELETE FROM mailbox_cursors WHERE session_id = $1', [sessionId]);
      return removed;
    },

    async status(sql, sessionId) {
      const rows = await sql.rows<PgMessageRow & { n: number }>(
        `SELECT c.n, m.* FROM (SELECT from_role, sum(n) AS n FROM message_counts WHERE session_id = $1
                                GROUP BY from_role) c
           CROSS JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages
                                WHERE session_id = $1 AND from_role = c.from_role ORDER BY seq DESC LIMIT 1) m
          ORDER BY c.from_role`,
        [sessionId],
      );
      return rows.map((last) => ({
        role: last.from_role,
        messages: last.n,
        last_seen: last.ts,
        last_action: { id: formatMessageId(last.seq), type: last.type, to: last.to_role, summary: last.summary },
      }));
    },

    async roleStates(sql, sessionId, role) {
      const params: unknown[] = [sessionId];
      if (role !== undefined) params.push(role);
      const rows = await sql.rows<{
        role: string;
        state: Record<string, unknown>;
        updated_at: string;
        updated_by: number;
      }>(
        `SELECT role, state, updated_at, updated_by FROM role_state WHERE session_id = $1
         ${role !== undefined ? 'AND role = $2' : ''} ORDER BY role`,
        params,
      );
      return rows.map((row) => ({ ...row, updated_by: formatMessageId(row.updated_by) }));
    },

    async sessions(sql) {
      // Most recently written first: feed places grow with every write, timestamps can tie.
      const rows = await sql.rows<{
        id: string;
        created_at: string;
        messages: number;
        members: number;
        seq: number | null;
        ts: string | null;
        feed_seq: number | null;
      }>(
        `SELECT s.id, s.created_at, t.messages, t.members, newest.seq, newest.ts, newest.feed_seq
           FROM sessions s
           CROSS JOIN LATERAL (SELECT coalesce(sum(n), 0) AS messages, count(DISTINCT from_role) AS members
                                 FROM message_counts WHERE session_id = s.id) t
           LEFT JOIN LATERAL (SELECT seq, ts, feed_seq FROM messages WHERE session_id = s.id
                               ORDER BY seq DESC LIMIT 1) newest ON true
          ORDER BY coalesce(newest.feed_seq, 0) DESC, s.created_at DESC`,
      );
      return rows.map((row): SessionSummary => ({
        session_id: row.id,
        created_at: row.created_at,
        messages: row.messages,
        members: row.members,
        last_id: row.seq === null ? null : formatMessageId(row.seq),
        last_activity: row.ts,
      }));
    },

    async lastSeq(sql, sessionId) {
      const row = await sql.one<{ next_seq: number }>('SELECT next_seq FROM sessions WHERE id = $1', [sessionId]);
      return (row?.next_seq ?? 1) - 1;
    },
  };
}
