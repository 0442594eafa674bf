/** How agents appear in tool results: what list_agents and wait_agent report. */
import type { AgentRecord, TurnRecord } from '../../store/records.js';
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

export async function latestTurn(deps: Pick<AgentDeps, 'agents'>, agent: AgentRecord): Promise<TurnRecord | undefined> {
  return (await deps.agents.turns(agent.id)).find((t) => t.turn === agent.turn);
}

export interface AgentView {
  agent_id: string;
  task_name: string;
  agent_type: string;
  backend: string;
  model: string | null;
  status: string;
  error: string | null;
  parent: string | null;
  depth: number;
  path: string;
  pid: number | null;
  /** The backend's own session or thread id (what a resumed process continues). */
  backend_session_id: string | null;
  turns: number;
  last_task_message: string | null;
  latest_progress: string | null;
  result: unknown;
  usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number; cost_usd: number };
  cwd: string;
  worktree: string | null;
  branch: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export async function agentView(deps: Pick<AgentDeps, 'agents' | 'bus'>, agent: AgentRecord): Promise<AgentView> {
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
    last_task_message: agent.last_task_message,
    latest_progress: progress ? `${progress.id} ${progress.summary}` : null,
    result: resultPreview(agent, await latestTurn(deps, agent), 500),
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
