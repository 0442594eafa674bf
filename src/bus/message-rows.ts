/** Messages as stored (one row of `messages`) and their conversion to the API shape, for either engine. */
import { formatMessageId, type Message } from './message.js';

/** `D`: how the engine hands `data` back — JSON text (SQLite), or already parsed (PostgreSQL's json). */
export interface MessageRow<D = string> {
  seq: number;
  session_id: string;
  ts: string;
  from_role: string;
  to_role: string;
  type: string;
  summary: string;
  data: D;
  sender_agent_id: string | null;
}

export const COLUMNS = 'seq, session_id, ts, from_role, to_role, type, summary, data, sender_agent_id';

export function rowToMessage(row: MessageRow<string | Record<string, unknown>>): Message {
  return {
    id: formatMessageId(row.seq),
    session_id: row.session_id,
    ts: row.ts,
    from: row.from_role,
    to: row.to_role,
    type: row.type,
    summary: row.summary,
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data,
    sender_agent_id: row.sender_agent_id,
  };
}
