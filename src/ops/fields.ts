/**
 * zod schemas for the identifiers every operation takes. Each rule is written once here, with
 * an error message that says what is allowed; the MCP tools advertise these schemas and the CLI
 * validates its flags with the same ones.
 */
import { z } from 'zod';
import {
  LIMITS,
  MESSAGE_ID_PATTERN,
  MESSAGE_ID_RULE,
  ROLE_PATTERN,
  ROLE_RULE,
  SESSION_ID_PATTERN,
  SESSION_ID_RULE,
  TYPE_PATTERN,
  TYPE_RULE,
} from '../bus/message.js';

/** A string matching `pattern`, with one message naming the rule for any violation. */
function patterned(pattern: RegExp, rule: string, description: string) {
  const message = `expected ${rule}`;
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : `expected a string: ${rule}`) })
    .regex(pattern, { error: message })
    .describe(description);
}

export const sessionIdField = patterned(
  SESSION_ID_PATTERN,
  SESSION_ID_RULE,
  'Team session id; every message belongs to one session.',
);

export const roleField = (description: string) => patterned(ROLE_PATTERN, ROLE_RULE, description);

export const typeField = patterned(
  TYPE_PATTERN,
  TYPE_RULE,
  'Message type: progress, blocker, task_complete, state_update, message, or any other word.',
);

export const messageIdField = (description: string) => patterned(MESSAGE_ID_PATTERN, MESSAGE_ID_RULE, description);

export const lastField = z
  .number({ error: `expected a whole number from 1 to ${LIMITS.pageMax}` })
  .int({ error: `expected a whole number from 1 to ${LIMITS.pageMax}` })
  .min(1, { error: `expected a whole number from 1 to ${LIMITS.pageMax}` })
  .max(LIMITS.pageMax, { error: `expected a whole number from 1 to ${LIMITS.pageMax}` });

export const summaryField = z
  .string({ error: 'expected a string' })
  .max(LIMITS.summaryChars, { error: `expected at most ${LIMITS.summaryChars} characters` })
  .describe('One-line human summary. Default: "[from] type → to".');

/** Levels of objects and arrays in `value`, counted without recursion (a hostile depth cannot overflow the stack). */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > LIMITS.dataDepth) return deepest; // enough to refuse; no need to walk the rest
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export const dataField = z
  .record(z.string(), z.unknown(), { error: 'expected a JSON object' })
  .refine((data) => nestingDepth(data) <= LIMITS.dataDepth, {
    error: `expected at most ${LIMITS.dataDepth} levels of nested objects and arrays`,
  })
  .describe(
    `Structured payload (a JSON object, at most ${LIMITS.dataBytes} bytes as JSON and ${LIMITS.dataDepth} levels deep).`,
  );

export const queryField = z
  .string({ error: 'expected a string' })
  .min(1, { error: 'expected at least one word' })
  .max(500, { error: 'expected at most 500 characters' })
  .describe('Words to find in summary and data; all must match; word* matches a prefix.');
