/**
 * The runtime's records, each defined once as a zod schema with its TypeScript type derived:
 * token usage (what a backend reports for a turn), an agent and one of its turns as the store
 * holds them. The store reads rows through these (bus/agent-rows.ts) and the tools' output
 * schemas are built from them, so the stored, typed and advertised shapes cannot drift apart.
 */
import { z } from 'zod';
import { AGENT_STATUSES } from './status.js';

export const usageSchema = z.object({
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
});
export type TurnRecord = z.infer<typeof turnRecordSchema>;
