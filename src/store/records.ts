/**
 * The records the stores hold and hand out, whatever engine keeps them. A store implementation
 * reads and writes exactly these shapes; nothing above the stores sees a row.
 */
import type { AgentStatus } from '../agents/status.js';
import type { Message } from '../bus/message.js';

export type { Message };

/** A message as a writer gives it; the store assigns `id` and `ts`. */
export type NewMessage = Omit<Message, 'id' | 'ts'>;

export interface MessageFilter {
  from?: string | undefined;
  to?: string | undefined;
  /** Any of these types; empty or absent means every type. */
  types?: readonly string[] | undefined;
}

export interface Page {
  /** Messages matching the filter in the whole session. */
  total: number;
  /** Oldest first. */
  messages: Message[];
  /** With a `since` cursor: whether more matching messages follow the last one returned. */
  has_more: boolean;
}

export interface MemberStatus {
  role: string;
  messages: number;
  last_seen: string;
  last_action: { id: string; type: string; to: string; summary: string };
}

export interface RoleState {
  role: string;
  state: Record<string, unknown>;
  updated_at: string;
  updated_by: string;
}

export interface SessionSummary {
  session_id: string;
  created_at: string;
  messages: number;
  members: number;
  last_id: string | null;
  last_activity: string | null;
}

export interface MailboxCounts {
  role: string;
  total: number;
  delivered: number;
  unread: number;
}

export interface AgentRecord {
  id: string;
  session_id: string;
  task_name: string;
  nickname: string | null;
  agent_type: string;
  parent_id: string | null;
  depth: number;
  path: string;
  backend: string;
  /** argv of a command-backend worker, as JSON. */
  command: string | null;
  model: string | null;
  reasoning_effort: string | null;
  cwd: string;
  worktree: string | null;
  branch: string | null;
  status: AgentStatus;
  status_reason: string | null;
  turn: number;
  last_task_message: string | null;
  backend_session_id: string | null;
  pid: number | null;
  /** The worker process's start token (see agents/liveness.ts): pid + this name one process. */
  pid_start: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export type NewAgent = Pick<
  AgentRecord,
  | 'id'
  | 'session_id'
  | 'task_name'
  | 'nickname'
  | 'agent_type'
  | 'parent_id'
  | 'depth'
  | 'path'
  | 'backend'
  | 'command'
  | 'model'
  | 'reasoning_effort'
  | 'cwd'
  | 'worktree'
  | 'branch'
  | 'owner_pid'
  | 'owner_start'
> & { task: string };

/** Which worker process runs an agent and which server supervises it; nulls when none does. */
export interface ProcessIdentity {
  pid: number | null;
  pid_start: string | null;
  owner_pid: number | null;
  owner_start: string | null;
}

export interface Usage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface TurnRecord {
  agent_id: string;
  turn: number;
  task: string;
  status: AgentStatus;
  final_message: string | null;
  result: unknown;
  error: string | null;
  usage: Usage | null;
  started_at: string;
  ended_at: string | null;
  reported_at: string | null;
}

export interface News {
  id: number;
  kind: 'final' | 'message';
  agent_id: string;
  turn: number | null;
  message_seq: number | null;
  created_at: string;
}

export interface AgentEvent {
  id: number;
  agent_id: string;
  task_name: string;
  agent_type: string;
  session_id: string;
  ts: string;
  from_status: AgentStatus | null;
  to_status: AgentStatus;
  turn: number;
  reason: string | null;
}

export type TransitionOutcome =
  | { ok: true; from: AgentStatus; agent: AgentRecord }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'illegal'; from: AgentStatus };

export interface TurnEnd {
  status: 'completed' | 'errored' | 'interrupted' | 'shutdown';
  final_message?: string | null;
  error?: string | null;
  usage?: Usage | null;
}

export interface Limits {
  maxOpenAgents: number;
  maxDepth: number;
}
