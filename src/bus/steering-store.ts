/**
 * Steering directives in SQLite (store/steering-store.ts says what each call does): the row and
 * its announcement on the bus are written in one transaction, so a directive is in force exactly
 * when the team has been told.
 */
import { BROADCAST, formatMessageId, sequenceOf } from './message.js';
import { directiveSchema, STEERING_TYPE, type Directive, type SteeringStore } from '../store/steering-store.js';
import type { Db } from './db.js';
import type { MessageTables } from './message-store.js';
import type { Synchronous } from './synchronous.js';

export type SteeringTables = Synchronous<SteeringStore>;

interface Row {
  id: number;
  session_id: string;
  text: string;
  given_by: string;
  message_seq: number;
  created_at: string;
  cleared_at: string | null;
}

const toDirective = (row: Row): Directive =>
  directiveSchema.parse({ ...row, message_id: formatMessageId(row.message_seq) });

export function createSteeringTables(db: Db, messages: MessageTables): SteeringTables {
  const insert = db.prepare<[string, string, string, number, string], Row>(
    `INSERT INTO steering (session_id, text, given_by, message_seq, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *`,
  );
  const activeRows = db.prepare<[string], Row>(
    'SELECT * FROM steering WHERE session_id = ? AND cleared_at IS NULL ORDER BY id',
  );
  const clearOne = db.prepare<[string, string, number], Row>(
    'UPDATE steering SET cleared_at = ? WHERE session_id = ? AND id = ? AND cleared_at IS NULL RETURNING *',
  );

  const announce = (sessionId: string, givenBy: string, summary: string, data: Record<string, unknown>) =>
    messages.log({
      session_id: sessionId,
      from: givenBy,
      to: BROADCAST,
      type: STEERING_TYPE,
      summary,
      data,
      sender_agent_id: null,
    });

  const give = db.transaction((sessionId: string, text: string, givenBy: string) => {
    const message = announce(sessionId, givenBy, text, {});
    const row = insert.get(sessionId, text, givenBy, sequenceOf(message.id), message.ts)!;
    return { directive: toDirective(row), message };
  });

  const withdraw = db.transaction((sessionId: string, givenBy: string, id?: number) => {
    const targets = id === undefined ? activeRows.all(sessionId) : activeRows.all(sessionId).filter((r) => r.id === id);
    const now = new Date().toISOString();
    const cleared: Directive[] = [];
    for (const target of targets) {
      const row = clearOne.get(now, sessionId, target.id);
      if (!row) continue;
      announce(sessionId, givenBy, `cleared #${row.id}: ${row.text}`, { cleared: row.id });
      cleared.push(toDirective(row));
    }
    return cleared;
  });

  return {
    give: (sessionId, text, givenBy) => give.immediate(sessionId, text, givenBy),
    active: (sessionId) => activeRows.all(sessionId).map(toDirective),
    withdraw: (sessionId, givenBy, id) => withdraw.immediate(sessionId, givenBy, id),
  };
}
