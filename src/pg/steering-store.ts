/**
 * Steering directives on PostgreSQL (store/steering-store.ts says what each call does): the row and
 * its announcement on the bus are written in one transaction, so a directive is in force exactly
 * when the team has been told.
 */
import { BROADCAST, formatMessageId, sequenceOf } from '../bus/message.js';
import type { MessageStore } from '../store/message-store.js';
import { directiveSchema, STEERING_TYPE, type Directive, type SteeringStore } from '../store/steering-store.js';
import type { Sql, Tables } from './sql.js';

interface Row {
  id: number;
  session_id: string;
  text: string;
  given_by: string;
  message_seq: number;
  created_at: string;
  cleared_at: string | null;
}

const COLUMNS = 'id, session_id, text, given_by, message_seq, created_at, cleared_at';

const toDirective = (row: Row): Directive =>
  directiveSchema.parse({ ...row, message_id: formatMessageId(row.message_seq) });

export function createPgSteeringTables(messages: Tables<MessageStore>): Tables<SteeringStore> {
  const announce = (sql: Sql, sessionId: string, givenBy: string, summary: string, data: Record<string, unknown>) =>
    messages.log(sql, {
      session_id: sessionId,
      from: givenBy,
      to: BROADCAST,
      type: STEERING_TYPE,
      summary,
      data,
      sender_agent_id: null,
    });
  const active = (sql: Sql, sessionId: string) =>
    sql.rows<Row>(`SELECT ${COLUMNS} FROM steering WHERE session_id = $1 AND cleared_at IS NULL ORDER BY id`, [
      sessionId,
    ]);

  return {
    async give(sql, sessionId, text, givenBy) {
      const message = await announce(sql, sessionId, givenBy, text, {});
      const row = await sql.one<Row>(
        `INSERT INTO steering (session_id, text, given_by, message_seq, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${COLUMNS}`,
        [sessionId, text, givenBy, sequenceOf(message.id), message.ts],
      );
      return { directive: toDirective(row!), message };
    },

    active: async (sql, sessionId) => (await active(sql, sessionId)).map(toDirective),

    async withdraw(sql, sessionId, givenBy, id) {
      const targets = (await active(sql, sessionId)).filter((r) => id === undefined || r.id === id);
      const now = new Date().toISOString();
      const cleared: Directive[] = [];
      for (const target of targets) {
        const row = await sql.one<Row>(
          `UPDATE steering SET cleared_at = $1 WHERE session_id = $2 AND id = $3 AND cleared_at IS NULL
           RETURNING ${COLUMNS}`,
          [now, sessionId, target.id],
        );
        if (!row) continue;
        await announce(sql, sessionId, givenBy, `cleared #${row.id}: ${row.text}`, { cleared: row.id });
        cleared.push(toDirective(row));
      }
      return cleared;
    },
  };
}
