/**
 * The operator's steering directives, as every engine must provide them. A directive is given to
 * a session's whole team and stays in force until it is withdrawn; giving and withdrawing are
 * each announced on the bus in the same unit of work — a message of type `steering` from the
 * person to everyone (`all`), which is how it reaches the lead and every worker, mid-turn where
 * the CLI allows, and how it shows in the feed.
 */
import { z } from 'zod';
import type { Message } from '../bus/message.js';

export const STEERING_TYPE = 'steering';
export const DIRECTIVE_MAX_CHARS = 2000;

export const directiveSchema = z.object({
  id: z.number().int().positive(),
  session_id: z.string(),
  text: z.string(),
  given_by: z.string(),
  /** The bus message that announced it. */
  message_id: z.string(),
  created_at: z.string(),
  cleared_at: z.string().nullable(),
});
export type Directive = z.infer<typeof directiveSchema>;

export interface SteeringStore {
  /** Puts a directive in force for the session, announced on the bus. */
  give(sessionId: string, text: string, givenBy: string): Promise<{ directive: Directive; message: Message }>;
  /** The session's directives in force, oldest first. */
  active(sessionId: string): Promise<Directive[]>;
  /** Withdraws directive `id`, or every one when absent; each is announced. Returns those withdrawn. */
  withdraw(sessionId: string, givenBy: string, id?: number): Promise<Directive[]>;
}
