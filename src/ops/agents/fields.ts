/** zod schemas shared by the agent tools' inputs: names, targets, messages. (Output shapes live with their ops.) */
import { z } from 'zod';
import { agentStatusSchema } from '../../agents/records.js';
import { sessionIdField } from '../fields.js';

export const TASK_NAME_PATTERN = /^(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(?<!\.)$/;
export const TASK_NAME_RULE =
  "1-64 characters: letters, digits, '_', '.' or '-', starting with a letter or digit (like IMPL-001 or review_api)";

export const taskNameField = z
  .string({ error: `expected a string: ${TASK_NAME_RULE}` })
  .regex(TASK_NAME_PATTERN, { error: `expected ${TASK_NAME_RULE}` })
  .describe('Name to address the agent by, unique among the session’s open agents, e.g. IMPL-001.');

export const targetField = z
  .string({ error: 'expected an agent id or task name' })
  .min(1, { error: 'expected an agent id or task name' })
  .max(128, { error: 'expected at most 128 characters' })
  .describe('The agent: its task name (e.g. IMPL-001) or agent id.');

/** A process argument or environment variable cannot hold a NUL: refuse it before anything starts. */
export const NO_NUL_RULE =
  'must not contain a NUL character (\\0): a worker gets it as a process argument or environment variable, which cannot hold one';
export const noNul = (text: string): boolean => !text.includes('\0');

export const agentMessageField = z
  .string({ error: 'expected a string' })
  .min(1, { error: 'expected a non-empty message' })
  .max(100_000, { error: 'expected at most 100000 characters' })
  .refine(noNul, { error: NO_NUL_RULE });

export const optionalSession = sessionIdField
  .optional()
  .describe('Session to act in. Default: yours (a worker’s own; for the coordinator, its current session).');

export const statusField = agentStatusSchema;
