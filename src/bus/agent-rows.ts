/**
 * Agents and turns as stored (rows of `agents` and `agent_turns`) and their conversion to the
 * records of agents/records.ts. Every query names these columns (never `SELECT *`), and every row
 * goes through one converter that checks it against the record's schema once: a row the schema
 * does not describe (a column renamed, a status outside the list) fails loudly where it is read.
 */
import { z } from 'zod';
import { agentRecordSchema, turnRecordSchema, type AgentRecord, type TurnRecord } from '../agents/records.js';

const columns = (schema: z.ZodObject) => Object.keys(schema.shape).join(', ');

/** The agents columns an AgentRecord holds, in schema order. */
export const AGENT_COLUMNS = columns(agentRecordSchema);
export const TURN_COLUMNS = columns(turnRecordSchema);

export function rowToAgent(row: unknown): AgentRecord {
  return agentRecordSchema.parse(row);
}

/** result and usage are stored as JSON text. */
const turnRowSchema = turnRecordSchema.extend({
  result: z
    .string()
    .nullable()
    .transform((text) => (text === null ? null : (JSON.parse(text) as unknown))),
  usage: z
    .string()
    .nullable()
    .transform((text) => (text === null ? null : turnRecordSchema.shape.usage.parse(JSON.parse(text)))),
});

export function rowToTurn(row: unknown): TurnRecord {
  return turnRowSchema.parse(row);
}
