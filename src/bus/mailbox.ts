/**
 * Mailbox delivery. Each (session, recipient) has a cursor: messages commit in sequence order
 * and mailboxes are read oldest first, so the delivered messages of a recipient are always the
 * prefix up to its cursor, and advancing the cursor inside the read's write transaction hands
 * each message to exactly one reader. A recipient's mail is what is addressed to it plus
 * broadcasts, never its own messages.
 */
import type { Db } from './db.js';
import { BROADCAST, sequenceOf, type Message } from './message.js';
import type { Mailbox } from '../store/message-store.js';
import type { Synchronous } from './synchronous.js';
import { COLUMNS, rowToMessage, type MessageRow } from './message-rows.js';

/** The synchronous half of store/message-store.ts's Mailbox. */
export type MailboxTables = Synchronous<Mailbox>;

export function createMailbox(db: Db): MailboxTables {
  const cursorOf = db.prepare<[string, string], { through: number }>(
    'SELECT delivered_through AS through FROM mailbox_cursors WHERE session_id = ? AND recipient = ?',
  );
  const cursorsAtOrAfter = db.prepare<[string, number], { recipient: string }>(
    `SELECT recipient FROM mailbox_cursors WHERE session_id = ? AND delivered_through >= ? ORDER BY recipient`,
  );
  const unreadFor = db.prepare<[string, string, number, string, number], MessageRow>(
    `SELECT ${COLUMNS} FROM messages
      WHERE session_id = ? AND to_role IN (?, '${BROADCAST}') AND seq > ? AND from_role <> ?
      ORDER BY seq LIMIT ?`,
  );
  const unreadCount = db.prepare<[string, string, number, string], { n: number }>(
    `SELECT count(*) AS n FROM messages
      WHERE session_id = ? AND to_role IN (?, '${BROADCAST}') AND seq > ? AND from_role <> ?`,
  );
  const addressedCount = db.prepare<[string, string, string], { n: number | null }>(
    `SELECT sum(n) AS n FROM message_counts
      WHERE session_id = ? AND to_role IN (?, '${BROADCAST}') AND from_role <> ?`,
  );
  const knownRoles = db.prepare<[string, string, string], { role: string }>(
    `SELECT from_role AS role FROM message_counts WHERE session_id = ?
     UNION SELECT to_role FROM message_counts WHERE session_id = ? AND to_role <> '${BROADCAST}'
     UNION SELECT recipient FROM mailbox_cursors WHERE session_id = ?
     ORDER BY role`,
  );
  const advanceCursor = db.prepare(
    `INSERT INTO mailbox_cursors (session_id, recipient, delivered_through, updated_at)
     VALUES (@session_id, @recipient, @through, @ts)
     ON CONFLICT (session_id, recipient) DO UPDATE
       SET delivered_through = max(delivered_through, @through), updated_at = @ts`,
  );

  const readMailboxTx = db.transaction((sessionId: string, role: string, limit: number): Message[] => {
    const through = cursorOf.get(sessionId, role)?.through ?? 0;
    const rows = unreadFor.all(sessionId, role, through, role, limit);
    const last = rows[rows.length - 1];
    if (last) {
      advanceCursor.run({ session_id: sessionId, recipient: role, through: last.seq, ts: new Date().toISOString() });
    }
    return rows.map(rowToMessage);
  });

  return {
    readMailbox(sessionId, role, limit) {
      return readMailboxTx.immediate(sessionId, role, limit);
    },

    mailboxStatus(sessionId, role) {
      const roles = role === undefined ? knownRoles.all(sessionId, sessionId, sessionId).map((r) => r.role) : [role];
      return roles.map((name) => {
        const through = cursorOf.get(sessionId, name)?.through ?? 0;
        const addressed = addressedCount.get(sessionId, name, name)?.n ?? 0;
        const unread = unreadCount.get(sessionId, name, through, name)!.n;
        return { role: name, total: addressed, delivered: addressed - unread, unread };
      });
    },

    deliveredTo(sessionId, message) {
      const seq = sequenceOf(message.id);
      if (message.to !== BROADCAST) {
        return (cursorOf.get(sessionId, message.to)?.through ?? 0) >= seq ? [message.to] : [];
      }
      return cursorsAtOrAfter
        .all(sessionId, seq)
        .map((r) => r.recipient)
        .filter((r) => r !== message.from);
    },
  };
}
