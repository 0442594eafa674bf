/**
 * The records the stores take and hand out, whatever engine keeps them: a store implementation
 * reads and writes exactly these shapes; nothing above the stores sees a row.
 */
import type {
  AgentRecord,
  ControlArgs,
  ControlOutcome,
  ControlRequest,
  FollowupRecord,
  TurnRecord,
  Usage,
} from '../agents/records.js';
import type { AgentStatus } from '../agents/status.js';
import type { MailboxCounts, MemberStatus, Message, RoleState } from '../bus/message.js';

// Shapes defined once as zod schemas beside their rules; the stores hand out exactly these.
export type {
  AgentRecord,
  ControlArgs,
  ControlOutcome,
  ControlRequest,
  FollowupRecord,
  MailboxCounts,
  MemberStatus,
  Message,
  RoleState,
  TurnRecord,
  Usage,
};

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
  /** Whether more matching messages lie beyond this page, in the direction it was read (see MessageStore.list). */
  has_more: boolean;
}

export interface SessionSummary {
  session_id: string;
  created_at: string;
  messages: number;
  members: number;
  last_id: string | null;
  last_activity: string | null;
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
  | 'owner_host'
  | 'owner_server'
  | 'client_id'
> & { task: string };

/** Which worker process runs an agent and which server (on which host) supervises it; nulls when none does. */
export type ProcessIdentity = Pick<
  AgentRecord,
  'pid' | 'pid_start' | 'owner_pid' | 'owner_start' | 'owner_host' | 'owner_server'
>;

/**
 * A piece of news for a waiter: a child's turn ending (its reported result, or its completion or
 * failure when it reported none) or a message sent to the waiter. Its id is its place in the feed.
 */
export interface News {
  id: number;
  kind: 'final' | 'message';
  agent_id: string;
  turn: number | null;
  message_seq: number | null;
  created_at: string;
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

export interface TurnOptions {
  /** An agent that holds no slot takes one again only if the session has one free. */
  maxOpenAgents?: number;
  /** The turn's deadline, from its start (limits.turn_timeout_ms). */
  timeoutMs?: number;
  /** The queued follow-up this turn runs: taken off the queue in the same transaction. */
  followupId?: number;
}

/** A follow-up as a caller gives it. */
export type NewFollowup = Pick<FollowupRecord, 'text' | 'task'>;

/** A control request as the asking server writes it; the store assigns the rest. */
export interface NewControlRequest {
  session_id: string;
  agent_id: string;
  server: string;
  args: ControlArgs;
  requested_by: string;
  requester_agent_id: string | null;
}
