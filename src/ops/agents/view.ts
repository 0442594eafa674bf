/** How agents appear in tool results: what list_agents and wait_agent report, and its one shape. */
import { z } from 'zod';
import { usageSchema } from '../../agents/records.js';
import type { AgentRecord, TurnRecord } from '../../store/records.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { AgentDeps } from './deps.js';

/** The reported result of the agent's latest turn, or its final text, cut to `limit` characters. */
export function resultPreview(agent: AgentRecord, turn: TurnRecord | undefined, limit: number): unknown {
  if (!turn) return null;
  const value = turn.reported_at ? turn.result : turn.final_message;
  if (value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length <= limit) return value;
  return `${text.slice(0, limit)} … [cut at ${limit} of ${text.length} characters; the whole result: maestro agents show ${agent.task_name}]`;
}

export async function latestTurn(
  deps: { agents: Pick<AgentStore, 'turns'> },
  agent: AgentRecord,
): Promise<TurnRecord | undefined> {
  return (await deps.agents.turns(agent.id)).find((t) => t.turn === agent.turn);
}

export const agentViewSchema = z.object({
  agent_id: z.string(),
  task_name: z.string(),
  agent_type: z.string(),
  backend: z.string(),
  model: z.string().nullable(),
  status: z.string(),
  error: z.string().nullable(),
  parent: z.string().nullable(),
  depth: z.number(),
  path: z.string(),
  pid: z.number().nullable(),
  backend_session_id: z
    .string()
    .nullable()
    .describe('The backend’s own session or thread id (what a resumed process continues).'),
  turns: z.number(),
  turn_deadline: z.string().nullable().describe('When the open turn is cut short by limits.turn_timeout_ms.'),
  queued_followups: z.number().describe('Follow-ups waiting for the running turn to end.'),
  last_task_message: z.string().nullable(),
  latest_progress: z.string().nullable(),
  progress_pct: z
    .number()
    .nullable()
    .describe('How far along its latest progress message says it is (its data.progress_pct, 0-100), if it says.'),
  result: z.unknown(),
  usage: usageSchema,
  cwd: z.string(),
  worktree: z.string().nullable(),
  branch: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
});
export type AgentView = z.infer<typeof agentViewSchema>;

/** A progress message's `progress_pct` (the skills' convention), kept within 0-100; null if it has none. */
export function progressPct(data: Record<string, unknown>): number | null {
  const pct = data.progress_pct;
  if (typeof pct !== 'number' || !Number.isFinite(pct)) return null;
  return Math.min(100, Math.max(0, pct));
}

export async function agentView(deps: Pick<AgentDeps, 'agents' | 'bus'>, agent: AgentRecord): Promise<AgentView> {
  const turn = await latestTurn(deps, agent);
  const parent = agent.parent_id ? ((await deps.agents.get(agent.parent_id))?.task_name ?? agent.parent_id) : null;
  const progress = (await deps.bus.list(agent.session_id, { from: agent.task_name, types: ['progress'] }, { limit: 1 }))
    .messages[0];
  return {
    agent_id: agent.id,
    task_name: agent.task_name,
    agent_type: agent.agent_type,
    backend: agent.backend,
    model: agent.model,
    status: agent.status,
    error: agent.status === 'errored' ? agent.status_reason : null,
    parent,
    depth: agent.depth,
    path: agent.path,
    pid: agent.pid,
    backend_session_id: agent.backend_session_id,
    turns: agent.turn,
    turn_deadline: turn && turn.ended_at === null ? turn.deadline_at : null,
    queued_followups: (await deps.agents.followups(agent.id)).length,
    last_task_message: agent.last_task_message,
    latest_progress: progress ? `${progress.id} ${progress.summary}` : null,
    progress_pct: progress ? progressPct(progress.data) : null,
    result: resultPreview(agent, turn, 500),
    usage: {
      input_tokens: agent.input_tokens,
      cached_input_tokens: agent.cached_input_tokens,
      output_tokens: agent.output_tokens,
      cost_usd: agent.cost_usd,
    },
    cwd: agent.cwd,
    worktree: agent.worktree,
    branch: agent.branch,
    created_at: agent.created_at,
    updated_at: agent.updated_at,
    closed_at: agent.closed_at,
  };
}
