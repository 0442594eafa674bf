/**
 * The shape of a bus message and the rules every writer obeys: identifier formats, the
 * message types the skills use, and size limits. The zod schemas in `ops/` and the store both
 * read these constants, so the advertised rules and the enforced rules cannot drift apart. The
 * shapes the bus returns (a message, a member's status, a mailbox's counts, a role's state) are
 * defined here once in zod; the store's types and the team_msg output schema derive from them.
 */
import { z } from 'zod';
import { invalidInput } from '../errors.js';

export const BROADCAST = 'all';
export const DEFAULT_TO = 'coordinator';
export const DEFAULT_TYPE = 'message';

/** Types the role skills use; any other type matching TYPE_PATTERN is accepted too. */
export const KNOWN_MESSAGE_TYPES = ['message', 'progress', 'blocker', 'task_complete', 'state_update'] as const;

export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const SESSION_ID_RULE = "1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

export const ROLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;
export const ROLE_RULE = "1-64 characters: letters, digits, '_', '.', ':', '@' or '-', starting with a letter or digit";

export const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,39}$/;
export const TYPE_RULE = "1-40 characters: letters, digits, '_', '.' or '-', starting with a letter";

export const MESSAGE_ID_PATTERN = /^MSG-(\d{1,15})$/i;
export const MESSAGE_ID_RULE = 'a message id like MSG-007';

export const LIMITS = {
  /** Characters in a summary. */
  summaryChars: 4_000,
  /** Bytes of `data` serialised as JSON. */
  dataBytes: 64 * 1024,
  /** Levels of nesting in `data` (the object itself is level 1); SQLite's JSON functions stop at 1000. */
  dataDepth: 100,
  /** Bytes of summary, data, from, to and type together. */
  messageBytes: 70 * 1024,
  /** Most messages one list, search or mailbox read returns. */
  pageMax: 100,
} as const;

export const DEFAULT_PAGE = 20;

export const messageSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  ts: z.string().describe('ISO-8601 UTC with milliseconds'),
  from: z.string(),
  to: z.string(),
  type: z.string(),
  summary: z.string(),
  data: z.record(z.string(), z.unknown()),
  sender_agent_id: z
    .string()
    .nullable()
    .describe('The authenticated agent that wrote it; null for a person or the coordinator.'),
});
export type Message = z.infer<typeof messageSchema>;

/** A sender's part in a session: how much it wrote, when it was last seen, and its last message. */
export const memberStatusSchema = z.object({
  role: z.string(),
  messages: z.number(),
  last_seen: z.string(),
  last_action: z.object({ id: z.string(), type: z.string(), to: z.string(), summary: z.string() }),
});
export type MemberStatus = z.infer<typeof memberStatusSchema>;

/** The merged state a role published with state_update messages. */
export const roleStateSchema = z.object({
  role: z.string(),
  state: z.record(z.string(), z.unknown()),
  updated_at: z.string(),
  updated_by: z.string(),
});
export type RoleState = z.infer<typeof roleStateSchema>;

/** What is addressed to a role (broadcasts included) and how much of it it has read. */
export const mailboxCountsSchema = z.object({
  role: z.string(),
  total: z.number(),
  delivered: z.number(),
  unread: z.number(),
});
export type MailboxCounts = z.infer<typeof mailboxCountsSchema>;

export function formatMessageId(seq: number): string {
  return `MSG-${String(seq).padStart(3, '0')}`;
}

/** The sequence number inside `MSG-007`, or null if `id` is not a message id. */
export function parseMessageId(id: string): number | null {
  const match = MESSAGE_ID_PATTERN.exec(id.trim());
  if (!match) return null;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) ? seq : null;
}

/** The sequence number inside a message id; an id that is not one is the caller's mistake. */
export function sequenceOf(id: string): number {
  const seq = parseMessageId(id);
  if (seq === null) throw invalidInput(`'${id}' is not ${MESSAGE_ID_RULE}`);
  return seq;
}

export function defaultSummary(from: string, type: string, to: string): string {
  return `[${from}] ${type} → ${to}`;
}
