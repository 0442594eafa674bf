/**
 * The message bus over SQLite. Every write is one short `BEGIN IMMEDIATE` transaction, so the
 * per-session sequence number is read and advanced under the database's write lock: concurrent
 * writers in any number of processes get contiguous ids with no gaps or duplicates. Reads are
 * plain queries against the current database state; nothing is cached between calls.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { invalidInput } from '../errors.js';
import { formatMessageId } from './message.js';
import { createMailbox } from './mailbox.js';
import type { Synchronous } from './synchronous.js';
import type { MessageStore } from '../store/message-store.js';
import { createSearchIndex } from './search-index.js';
import { COLUMNS, rowToMessage, type MessageRow } from './message-rows.js';
import { checkSize } from '../store/message-size.js';
import type { Message, MessageFilter, NewMessage, SessionSummary } from '../store/records.js';

/** The synchronous statements behind the SQLite MessageStore (store/message-store.ts says what each does). */
export type MessageTables = Synchronous<MessageStore>;

/**
 * Turns what a person types into an FTS5 query that cannot be a syntax error: every word is
 * quoted, all words must match, and a trailing `*` keeps its meaning of "any word starting with".
 */
export function toFtsQuery(text: string): string {
  const words = text.split(/\s+/).filter((word) => word.replace(/\*+$/, '').length > 0);
  if (words.length === 0) throw invalidInput('query must contain at least one word');
  return words
    .map((word) => {
      const prefix = word.endsWith('*');
      const bare = word.replace(/\*+$/, '').replaceAll('"', '""');
      return prefix ? `"${bare}"*` : `"${bare}"`;
    })
    .join(' ');
}

function filterSql(filter: MessageFilter, params: unknown[], alias = ''): string {
  let sql = '';
  if (filter.from !== undefined) {
    sql += ` AND ${alias}from_role = ?`;
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    sql += ` AND ${alias}to_role = ?`;
    params.push(filter.to);
  }
  if (filter.types && filter.types.length > 0) {
    sql += ` AND ${alias}type IN (${filter.types.map(() => '?').join(', ')})`;
    params.push(...filter.types);
  }
  return sql;
}

export function createMessageTables(db: Db): MessageTables {
  // Statements whose text depends on the filter are prepared on first use and kept for the
  // life of this connection; they hold SQL, never data.
  const prepared = new Map<string, Statement<unknown[]>>();
  const statement = (sql: string) => {
    let stmt = prepared.get(sql);
    if (!stmt) {
      stmt = db.prepare<unknown[]>(sql);
      prepared.set(sql, stmt);
    }
    return stmt;
  };

  const nextSeq = db.prepare<[string, string], { seq: number }>(
    `INSERT INTO sessions (id, created_at, next_seq) VALUES (?, ?, 2)
     ON CONFLICT (id) DO UPDATE SET next_seq = next_seq + 1
     RETURNING next_seq - 1 AS seq`,
  );
  const insert = db.prepare(
    `INSERT INTO messages (session_id, seq, ts, from_role, to_role, type, summary, data, sender_agent_id, news_for)
     VALUES (@session_id, @seq, @ts, @from, @to, @type, @summary, @data, @sender_agent_id, @news_for)`,
  );
  const mergeState = db.prepare(
    `INSERT INTO role_state (session_id, role, state, updated_at, updated_by)
     VALUES (@session_id, @role, json_patch('{}', @data), @ts, @seq)
     ON CONFLICT (session_id, role) DO UPDATE
       SET state = json_patch(role_state.state, @data), updated_at = @ts, updated_by = @seq`,
  );
  const getOne = db.prepare<[string, number], MessageRow>(
    `SELECT ${COLUMNS} FROM messages WHERE session_id = ? AND seq = ?`,
  );
  const deleteOne = db.prepare<[string, number]>('DELETE FROM messages WHERE session_id = ? AND seq = ?');
  const deleteAll = db.prepare<[string]>('DELETE FROM messages WHERE session_id = ?');
  const deleteCursors = db.prepare<[string]>('DELETE FROM mailbox_cursors WHERE session_id = ?');
  const sessionCounter = db.prepare<[string], { next_seq: number }>('SELECT next_seq FROM sessions WHERE id = ?');
  const memberCounts = db.prepare<[string], { role: string; n: number }>(
    `SELECT from_role AS role, sum(n) AS n FROM message_counts WHERE session_id = ?
     GROUP BY from_role ORDER BY from_role`,
  );
  const lastFrom = db.prepare<[string, string], MessageRow>(
    `SELECT ${COLUMNS} FROM messages WHERE session_id = ? AND from_role = ? ORDER BY seq DESC LIMIT 1`,
  );
  const statesAll = db.prepare<[string], { role: string; state: string; updated_at: string; updated_by: number }>(
    'SELECT role, state, updated_at, updated_by FROM role_state WHERE session_id = ? ORDER BY role',
  );
  const stateOne = db.prepare<
    [string, string],
    { role: string; state: string; updated_at: string; updated_by: number }
  >('SELECT role, state, updated_at, updated_by FROM role_state WHERE session_id = ? AND role = ?');
  const sessionList = db.prepare<[], { id: string; created_at: string }>('SELECT id, created_at FROM sessions');
  const sessionTotals = db.prepare<[string], { messages: number | null; members: number }>(
    'SELECT sum(n) AS messages, count(DISTINCT from_role) AS members FROM message_counts WHERE session_id = ?',
  );
  const newestRow = db.prepare<[string], { seq: number; ts: string; row_id: number }>(
    'SELECT seq, ts, row_id FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT 1',
  );

  const logTx = db.transaction((message: NewMessage, data: string, newsFor: string | null): Message => {
    const ts = new Date().toISOString();
    const { seq } = nextSeq.get(message.session_id, ts)!;
    insert.run({ ...message, seq, ts, data, news_for: newsFor });
    if (message.type === 'state_update') {
      mergeState.run({ session_id: message.session_id, role: message.from, data, ts, seq });
    }
    const logged: Message = {
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
    return logged;
  });

  const removeTx = db.transaction((sessionId: string, seq: number): Message | null => {
    const row = getOne.get(sessionId, seq);
    if (!row) return null;
    deleteOne.run(sessionId, seq);
    return rowToMessage(row);
  });

  const clearTx = db.transaction((sessionId: string): number => {
    const removed = deleteAll.run(sessionId).changes;
    deleteCursors.run(sessionId);
    return removed;
  });

  const total = (sessionId: string, filter: MessageFilter): number => {
    const params: unknown[] = [sessionId];
    const sql = `SELECT coalesce(sum(n), 0) AS n FROM message_counts WHERE session_id = ?${filterSql(filter, params)}`;
    return (statement(sql).get(...params) as { n: number }).n;
  };

  const searchIndex = createSearchIndex(db);

  return {
    ...createMailbox(db),

    log(message, newsFor = null) {
      return logTx.immediate(message, checkSize(message), newsFor);
    },

    get(sessionId, seq) {
      const row = getOne.get(sessionId, seq);
      return row ? rowToMessage(row) : null;
    },

    list(sessionId, filter, { limit, sinceSeq, beforeSeq }) {
      const params: unknown[] = [sessionId];
      let where = 'session_id = ?';
      if (sinceSeq !== undefined) {
        where += ' AND seq > ?';
        params.push(sinceSeq);
      }
      if (beforeSeq !== undefined) {
        where += ' AND seq < ?';
        params.push(beforeSeq);
      }
      where += filterSql(filter, params);
      const ascending = sinceSeq !== undefined;
      const rows = statement(
        `SELECT ${COLUMNS} FROM messages WHERE ${where} ORDER BY seq ${ascending ? 'ASC' : 'DESC'} LIMIT ?`,
      ).all(...params, limit + 1) as MessageRow[];
      const page = rows.slice(0, limit);
      return {
        total: total(sessionId, filter),
        messages: (ascending ? page : page.reverse()).map(rowToMessage),
        has_more: rows.length > limit,
      };
    },

    search(sessionId, query, filter, limit, beforeSeq) {
      const ftsQuery = toFtsQuery(query);
      searchIndex.catchUp();
      const params: unknown[] = [ftsQuery, sessionId];
      const where = `messages_fts MATCH ? AND m.session_id = ?${filterSql(filter, params, 'm.')}`;
      const from = `messages_fts JOIN messages m ON m.row_id = messages_fts.rowid`;
      const count = (statement(`SELECT count(*) AS n FROM ${from} WHERE ${where}`).get(...params) as { n: number }).n;
      const before = beforeSeq === undefined ? '' : ' AND m.seq < ?';
      const rows = statement(
        `SELECT ${COLUMNS.split(', ')
          .map((c) => `m.${c}`)
          .join(', ')} FROM ${from} WHERE ${where}${before} ORDER BY m.seq DESC LIMIT ?`,
      ).all(...params, ...(beforeSeq === undefined ? [] : [beforeSeq]), limit + 1) as MessageRow[];
      return {
        total: count,
        messages: rows.slice(0, limit).reverse().map(rowToMessage),
        has_more: rows.length > limit,
      };
    },

    remove(sessionId, seq) {
      return removeTx.immediate(sessionId, seq);
    },

    clear(sessionId) {
      return clearTx.immediate(sessionId);
    },

    status(sessionId) {
      return memberCounts.all(sessionId).flatMap(({ role, n }) => {
        const last = lastFrom.get(sessionId, role);
        if (!last) return [];
        return [
          {
            role,
            messages: n,
            last_seen: last.ts,
            last_action: { id: formatMessageId(last.seq), type: last.type, to: last.to_role, summary: last.summary },
          },
        ];
      });
    },

    roleStates(sessionId, role) {
      const rows =
        role === undefined ? statesAll.all(sessionId) : [stateOne.get(sessionId, role)].filter((r) => r !== undefined);
      return rows.map((row) => ({
        role: row.role,
        state: JSON.parse(row.state) as Record<string, unknown>,
        updated_at: row.updated_at,
        updated_by: formatMessageId(row.updated_by),
      }));
    },

    sessions() {
      // Most recently written first: row ids grow with every insert, timestamps can tie.
      return sessionList
        .all()
        .map(({ id, created_at }) => {
          const totals = sessionTotals.get(id)!;
          const newest = newestRow.get(id);
          const summary: SessionSummary = {
            session_id: id,
            created_at,
            messages: totals.messages ?? 0,
            members: totals.members,
            last_id: newest ? formatMessageId(newest.seq) : null,
            last_activity: newest?.ts ?? null,
          };
          return { summary, order: newest?.row_id ?? 0 };
        })
        .sort((a, b) => b.order - a.order || b.summary.created_at.localeCompare(a.summary.created_at))
        .map(({ summary }) => summary);
    },

    lastSeq(sessionId) {
      return (sessionCounter.get(sessionId)?.next_seq ?? 1) - 1;
    },
  };
}
