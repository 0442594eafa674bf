/** Messages as PostgreSQL stores them (one row of `messages`) and their conversion to the API shape. */
import { formatMessageId, type Message } from '../bus/message.js';

export interface PgMessageRow {
  seq: number;
  session_id: string;
  ts: string;
  from_role: string;
  to_role: string;
  type: string;
  summary: string;
  /** `json`: pg hands it back parsed. */
  data: Record<string, unknown>;
  sender_agent_id: string | null;
}

export const MESSAGE_COLUMNS = 'seq, session_id, ts, from_role, to_role, type, summary, data, sender_agent_id';

export function rowToMessage(row: PgMessageRow): Message {
  return {
    id: formatMessageId(row.seq),
    session_id: row.session_id,
    ts: row.ts,
    from: row.from_role,
    to: row.to_role,
    type: row.type,
    summary: row.summary,
    data: row.data,
    sender_agent_id: row.sender_agent_id,
  };
}
