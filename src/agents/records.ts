/**
 * The runtime's records, each defined once as a zod schema with its TypeScript type derived:
 * token usage (what a backend reports for a turn), an agent and one of its turns as the store
 * holds them. The store reads rows through these (bus/agent-rows.ts) and the tools' output
 * schemas are built from them, so the stored, typed and advertised shapes cannot drift apart.
 */
import { z } from 'zod';
import { AGENT_STATUSES } from './status.js';

export const usageSchema = z.object({
  /** Every input token, the cached ones included. */
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
});
export type Usage = z.infer<typeof usageSchema>;

export const agentStatusSchema = z.enum(AGENT_STATUSES);

export const agentRecordSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  task_name: z.string(),
  nickname: z.string().nullable(),
  agent_type: z.string(),
  parent_id: z.string().nullable(),
  depth: z.number(),
  path: z.string(),
  backend: z.string(),
  /** argv of a command-backend worker, as JSON. */
  command: z.string().nullable(),
  model: z.string().nullable(),
  reasoning_effort: z.string().nullable(),
  cwd: z.string(),
  worktree: z.string().nullable(),
  branch: z.string().nullable(),
  status: agentStatusSchema,
  status_reason: z.string().nullable(),
  turn: z.number(),
  last_task_message: z.string().nullable(),
  backend_session_id: z.string().nullable(),
  pid: z.number().nullable(),
  /** The worker process's start token (see agents/liveness.ts): pid + this name one process. */
  pid_start: z.string().nullable(),
  owner_pid: z.number().nullable(),
  owner_start: z.string().nullable(),
  /** The host the supervising server runs on (agents/liveness.ts); a pid means nothing elsewhere. */
  owner_host: z.string().nullable(),
  /** The supervising server's instance id: one run of one server. */
  owner_server: z.string().nullable(),
  /** The top-level client whose tree the agent belongs to (bus/news.ts); null: any of the session's. */
  client_id: z.string().nullable(),
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
});
export type AgentRecord = z.infer<typeof agentRecordSchema>;

export const turnRecordSchema = z.object({
  agent_id: z.string(),
  turn: z.number(),
  task: z.string(),
  status: agentStatusSchema,
  final_message: z.string().nullable(),
  /** What the worker reported with report_agent_job_result, as it sent it. */
  result: z.unknown(),
  error: z.string().nullable(),
  usage: usageSchema.nullable(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  reported_at: z.string().nullable(),
  /** When limits.turn_timeout_ms cuts the turn short, if it is still open by then. */
  deadline_at: z.string().nullable(),
});
export type TurnRecord = z.infer<typeof turnRecordSchema>;

/** A follow-up that arrived while a turn was running: it becomes a next turn, oldest first. */
export const followupRecordSchema = z.object({
  id: z.number(),
  agent_id: z.string(),
  /** What the worker is given. */
  text: z.string(),
  /** What the turn is recorded as: the task without maestro's framing. */
  task: z.string(),
  queued_at: z.string(),
});
export type FollowupRecord = z.infer<typeof followupRecordSchema>;

/** How many transcript lines one read may ask another machine for. */
export const TRANSCRIPT_READ_MAX = 2000;

const LINES_RULE = `expected a whole number of transcript lines from 1 to ${TRANSCRIPT_READ_MAX}`;
export const transcriptLinesField = z
  .number({ error: LINES_RULE })
  .int({ error: LINES_RULE })
  .min(1, { error: LINES_RULE })
  .max(TRANSCRIPT_READ_MAX, { error: LINES_RULE });

/** The verbs another server can be asked to carry out on an agent it runs, and what each takes. */
export const controlArgsSchema = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('followup'), message: z.string() }),
  z.object({ verb: z.literal('interrupt') }),
  z.object({ verb: z.literal('send'), message_id: z.string() }),
  z.object({ verb: z.literal('close') }),
  /** A read: the end of the transcript the agent's machine keeps (agents/transcript.ts). */
  z.object({ verb: z.literal('transcript'), lines: transcriptLinesField }),
]);
export type ControlArgs = z.infer<typeof controlArgsSchema>;
export type ControlVerb = ControlArgs['verb'];
/** The verbs that act on the agent: their asking and their outcome are events in the feed. */
export const CONTROL_ACTIONS = ['followup', 'interrupt', 'send', 'close'] as const satisfies readonly ControlVerb[];
/**
 * The verbs that only read what the agent's machine keeps. Nothing changes, so the feed has no
 * events of them, and a finished one is discarded once its asker has the answer.
 */
export const CONTROL_READS = ['transcript'] as const satisfies readonly ControlVerb[];
export type ControlRead = Extract<ControlArgs, { verb: (typeof CONTROL_READS)[number] }>;

export function isControlRead(args: ControlArgs): args is ControlRead {
  return (CONTROL_READS as readonly string[]).includes(args.verb);
}

/** What a transcript read answers: the last lines, oldest first, as the agent's machine keeps them. */
export const transcriptResultSchema = z.object({ lines: z.array(z.string()) });

export const controlStateSchema = z.enum(['pending', 'taken', 'done', 'failed', 'expired']);
export type ControlState = z.infer<typeof controlStateSchema>;

/** What the executing server recorded: the verb's result, or the error it met. */
export const controlOutcomeSchema = z.union([
  z.object({ ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type ControlOutcome = z.infer<typeof controlOutcomeSchema>;

export const controlRequestSchema = z.object({
  id: z.number(),
  session_id: z.string(),
  agent_id: z.string(),
  /** The agent's task name, for messages and events. */
  task_name: z.string(),
  /** The server instance asked to execute it: the one that runs the agent. */
  server: z.string(),
  args: controlArgsSchema,
  /** Who asked: a task name, or coordinator. */
  requested_by: z.string(),
  requester_agent_id: z.string().nullable(),
  state: controlStateSchema,
  outcome: controlOutcomeSchema.nullable(),
  requested_at: z.string(),
  done_at: z.string().nullable(),
});
export type ControlRequest = z.infer<typeof controlRequestSchema>;
