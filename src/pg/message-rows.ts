/** Messages as PostgreSQL stores them: `data` is `json`, which pg hands back parsed (bus/message-rows.ts converts). */
import type { MessageRow } from '../bus/message-rows.js';

export type PgMessageRow = MessageRow<Record<string, unknown>>;
export { COLUMNS as MESSAGE_COLUMNS, rowToMessage } from '../bus/message-rows.js';
