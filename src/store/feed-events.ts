/**
 * The event feed's shapes: one ordered sequence of every change of state in a project's
 * database. Each event has its place in the feed (`seq`, only ever growing), its session, its
 * time and its type; the rest depends on the type. Defined once here (zod); the store, the CLI
 * (`maestro events --json` prints exactly these objects) and the followers all use them.
 */
import { z } from 'zod';
import { CONTROL_ACTIONS, usageSchema } from '../agents/records.js';
import { AGENT_STATUSES } from '../agents/status.js';
import { messageSchema } from '../bus/message.js';
import { invalidInput } from '../errors.js';

const status = z.enum(AGENT_STATUSES);

const envelope = {
  seq: z.number().int().positive(),
  session_id: z.string(),
  ts: z.string(),
  /** The agent the event is about (for a message: the agent that wrote it), or null. */
  agent_id: z.string().nullable(),
  turn: z.number().int().nullable(),
};

/** What each event type carries beyond the envelope: what the store writes in `data`. */
export const EVENT_DATA = {
  /** A status change of an agent (spawned: to pending_init; a turn began: to running; closed: to shutdown). */
  agent: z.object({
    task_name: z.string(),
    agent_type: z.string(),
    from: status.nullable(),
    to: status,
    reason: z.string().nullable(),
  }),
  turn_started: z.object({ task_name: z.string(), task: z.string() }),
  turn_ended: z.object({
    task_name: z.string(),
    status: status,
    error: z.string().nullable(),
    usage: usageSchema.nullable(),
  }),
  /** The worker reported the result of its turn (report_agent_job_result, or the CLI's own result). */
  result: z.object({ task_name: z.string() }),
  /** A follow-up arrived while a turn was running: it becomes the next turn. */
  followup_queued: z.object({ task_name: z.string(), task: z.string() }),
  /** Queued follow-ups that will not run: the agent was interrupted or closed. */
  followup_dropped: z.object({ task_name: z.string(), count: z.number().int(), reason: z.string() }),
  /** A server asked the server that runs the agent to carry out a verb (control-store.ts); reads are not news. */
  control_requested: z.object({
    task_name: z.string(),
    request: z.number().int(),
    verb: z.enum(CONTROL_ACTIONS),
    requested_by: z.string(),
  }),
  /** The request's end: carried out (done), refused or failed (failed), or nobody took it (expired). */
  control_done: z.object({
    task_name: z.string(),
    request: z.number().int(),
    verb: z.enum(CONTROL_ACTIONS),
    state: z.enum(['done', 'failed', 'expired']),
    error: z.string().nullable(),
  }),
} as const;

export type StoredEventType = keyof typeof EVENT_DATA;
export type EventData<T extends StoredEventType> = z.infer<(typeof EVENT_DATA)[T]>;

export const FEED_EVENT_TYPES = ['message', ...(Object.keys(EVENT_DATA) as StoredEventType[])] as const;
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number];

export const feedEventSchema = z.discriminatedUnion('type', [
  z.object({ ...envelope, type: z.literal('message'), message: messageSchema }),
  z.object({ ...envelope, type: z.literal('agent'), ...EVENT_DATA.agent.shape }),
  z.object({ ...envelope, type: z.literal('turn_started'), ...EVENT_DATA.turn_started.shape }),
  z.object({ ...envelope, type: z.literal('turn_ended'), ...EVENT_DATA.turn_ended.shape }),
  z.object({ ...envelope, type: z.literal('result'), ...EVENT_DATA.result.shape }),
  z.object({ ...envelope, type: z.literal('followup_queued'), ...EVENT_DATA.followup_queued.shape }),
  z.object({ ...envelope, type: z.literal('followup_dropped'), ...EVENT_DATA.followup_dropped.shape }),
  z.object({ ...envelope, type: z.literal('control_requested'), ...EVENT_DATA.control_requested.shape }),
  z.object({ ...envelope, type: z.literal('control_done'), ...EVENT_DATA.control_done.shape }),
]);
export type FeedEvent = z.infer<typeof feedEventSchema>;

/** An event as a writer gives it: the store assigns `seq` and `ts`. */
export type NewEvent = {
  [T in StoredEventType]: {
    type: T;
    session_id: string;
    agent_id: string | null;
    turn: number | null;
    data: EventData<T>;
  };
}[StoredEventType];

export interface FeedFilter {
  /** Events after this place in the feed (0: from the start). */
  since: number;
  sessionId?: string | undefined;
  /** Any of these types; empty or absent means every type. */
  types?: readonly FeedEventType[] | undefined;
  limit: number;
}

export interface FeedPage {
  /** Oldest first. */
  events: FeedEvent[];
  /** Whether more matching events follow the last one returned. */
  has_more: boolean;
}

/** Task texts are kept whole in the agent's turns; the feed carries the start of them. */
export const TASK_PREVIEW_CHARS = 500;

export function preview(text: string): string {
  return text.length > TASK_PREVIEW_CHARS ? `${text.slice(0, TASK_PREVIEW_CHARS)}…` : text;
}

/** The types named, checked: an unknown one is refused, naming every type there is. */
export function checkEventTypes(types: readonly string[]): FeedEventType[] {
  for (const type of types) {
    if (!(FEED_EVENT_TYPES as readonly string[]).includes(type)) {
      throw invalidInput(`'${type}' is not an event type; the types are ${FEED_EVENT_TYPES.join(', ')}`);
    }
  }
  return types as FeedEventType[];
}
