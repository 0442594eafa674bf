/**
 * Mailbox delivery on PostgreSQL, as in SQLite (bus/mailbox.ts says why a cursor per recipient
 * hands each message to exactly one read): messages commit in sequence order under the write lock,
 * so a recipient's delivered messages are the prefix up to its cursor.
 */
import { BROADCAST, sequenceOf } from '../bus/message.js';
import type { Mailbox } from '../store/message-store.js';
import { MESSAGE_COLUMNS, rowToMessage, type PgMessageRow } from './message-rows.js';
import type { Sql, Tables } from './sql.js';

const cursorOf = async (sql: Sql, sessionId: string, recipient: string) =>
  (
    await sql.one<{ through: number }>(
      'SELECT delivered_through AS through FROM mailbox_cursors WHERE session_id = $1 AND recipient = $2',
      [sessionId, recipient],
    )
  )?.through ?? 0;

export function createPgMailbox(): Tables<Mailbox> {
  return {
    async readMailbox(sql, sessionId, role, limit) {
      const through = await cursorOf(sql, sessionId, role);
      const rows = await sql.rows<PgMessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages
          WHERE session_id = $1 AND to_role IN ($2, '${BROADCAST}') AND seq > $3 AND from_role <> $2
          ORDER BY seq LIMIT $4`,
        [sessionId, role, through, limit],
      );
      const last = rows[rows.length - 1];
      if (last) {
        await sql.run(
          `INSERT INTO mailbox_cursors (session_id, recipient, delivered_through, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (session_id, recipient) DO UPDATE
             SET delivered_through = GREATEST(mailbox_cursors.delivered_through, excluded.delivered_through),
                 updated_at = excluded.updated_at`,
          [sessionId, role, last.seq, new Date().toISOString()],
        );
      }
      return rows.map(rowToMessage);
    },

    async mailboxStatus(sql, sessionId, role) {
      const roles =
        role !== undefined
          ? [role]
          : (
              await sql.rows<{ role: string }>(
                `SELECT from_role AS role FROM message_counts WHERE session_id = $1
                 UNION SELECT to_role FROM message_counts WHERE session_id = $1 AND to_role <> '${BROADCAST}'
                 UNION SELECT recipient FROM mailbox_cursors WHERE session_id = $1
                 ORDER BY role`,
                [sessionId],
              )
            ).map((r) => r.role);
      const counts = [];
      for (const name of roles) {
        const through = await cursorOf(sql, sessionId, name);
        const row = await sql.one<{ addressed: number; unread: number }>(
          `SELECT (SELECT coalesce(sum(n), 0) FROM message_counts
                    WHERE session_id = $1 AND to_role IN ($2, '${BROADCAST}') AND from_role <> $2) AS addressed,
                  (SELECT count(*) FROM messages
                    WHERE session_id = $1 AND to_role IN ($2, '${BROADCAST}') AND seq > $3 AND from_role <> $2) AS unread`,
          [sessionId, name, through],
        );
        const { addressed, unread } = row!;
        counts.push({ role: name, total: addressed, delivered: addressed - unread, unread });
      }
      return counts;
    },

    async deliveredTo(sql, sessionId, message) {
      const seq = sequenceOf(message.id);
      if (message.to !== BROADCAST) {
        return (await cursorOf(sql, sessionId, message.to)) >= seq ? [message.to] : [];
      }
      const rows = await sql.rows<{ recipient: string }>(
        `SELECT recipient FROM mailbox_cursors WHERE session_id = $1 AND delivered_through >= $2 ORDER BY recipient`,
        [sessionId, seq],
      );
      return rows.map((r) => r.recipient).filter((r) => r !== message.from);
    },
  };
}
