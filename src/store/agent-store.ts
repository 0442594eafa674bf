/**
 * Agents, their turns and the news their parents wait for, as every engine must provide them.
 * Every status change is one compare-and-swap against the table of allowed predecessors
 * (agents/status.ts): of two concurrent transitions from the same status at most one wins, and
 * an illegal one changes nothing. Every change is appended to the event feed (feed-store.ts) in
 * the same transaction, and a completion is marked there as news for the parent.
 *
 * News: each recipient (a waiting agent's id, or a top-level client's `client:<id>`) has its own
 * cursor over its news; consuming hands each piece to one wait, once, and peeking takes nothing.
 * A top-level client hears only of the agents of its own tree (`client_id`).
 */
import type { AgentStatus } from '../agents/status.js';
import { MaestroError } from '../errors.js';
import type {
  AgentRecord,
  FollowupRecord,
  Limits,
  NewAgent,
  NewFollowup,
  News,
  ProcessIdentity,
  TransitionOutcome,
  TurnEnd,
  TurnOptions,
  TurnRecord,
} from './records.js';

export interface AgentStore {
  /** Inserts the agent as pending_init with its first turn, if the session's limits allow. */
  reserve(agent: NewAgent, limits: Limits): Promise<AgentRecord>;
  get(id: string): Promise<AgentRecord | null>;
  /** By id, else by task name in the session: the open agent, or the latest closed one. */
  resolve(sessionId: string, target: string): Promise<AgentRecord | null>;
  list(filter: { sessionId?: string; status?: AgentStatus; pathPrefix?: string }): Promise<AgentRecord[]>;
  /** Direct children of `parentId` (null: the session's top-level agents). */
  children(sessionId: string, parentId: string | null): Promise<AgentRecord[]>;
  /** Every agent below `agent`, deepest first. */
  descendants(agent: AgentRecord): Promise<AgentRecord[]>;
  transition(id: string, to: AgentStatus, reason?: string | null): Promise<TransitionOutcome>;
  /**
   * Starts the next turn: running, turn + 1, its task and deadline recorded. An agent holding no
   * slot (errored, its process gone) takes one again, refused with a `limit` error when the
   * session has none free. A turn that runs a queued follow-up takes it off the queue with it.
   */
  beginTurn(id: string, task: string, options?: TurnOptions): Promise<TransitionOutcome>;
  /** Ends turn `turn` (a stale turn number changes nothing) and records what it produced. */
  endTurn(id: string, turn: number, end: TurnEnd): Promise<TransitionOutcome | null>;
  /** Records the worker's reported result for its current turn; the parent hears of it at once. */
  report(id: string, result: unknown): Promise<{ turn: number; accepted: boolean }>;
  setProcess(id: string, process: ProcessIdentity): Promise<void>;
  setBackendSession(id: string, backendSessionId: string): Promise<void>;
  /** Records where the agent works: a host that takes a spawn resolves the directory on its machine. */
  setCwd(id: string, cwd: string): Promise<void>;
  /** Queues a follow-up that arrived mid-turn: it becomes a next turn, after those queued before it. */
  queueFollowup(id: string, followup: NewFollowup): Promise<FollowupRecord>;
  /** The agent's queued follow-ups, oldest first. */
  followups(id: string): Promise<FollowupRecord[]>;
  /** Drops every queued follow-up of the agent (interrupted, closed); returns how many. */
  dropFollowups(id: string, reason: string): Promise<number>;
  /** Agents with queued follow-ups, whichever server queued them. */
  withFollowups(): Promise<AgentRecord[]>;
  /** The session a top-level client last worked in, if it is remembered. */
  clientSession(clientId: string): Promise<string | null>;
  setClientSession(clientId: string, sessionId: string): Promise<void>;
  turns(id: string): Promise<TurnRecord[]>;
  /** The agent whose recorded worker process is this one (pid and start token), or null. */
  runningIn(pid: number, start: string | null): Promise<AgentRecord | null>;
  /** Whether this process (pid and start token) is recorded as the server supervising some agent. */
  supervises(pid: number, start: string | null): Promise<boolean>;
  /** Takes the recipient's news about `agentIds` (all when absent) and every message to it, oldest first: each once. */
  consumeNews(sessionId: string, recipient: string, agentIds?: readonly string[]): Promise<News[]>;
  /** The recipient's undelivered news, oldest first; takes nothing. */
  pendingNews(sessionId: string, recipient: string): Promise<News[]>;
  /** The top-level clients other than `clientId` that started agents of the session (a look before adopting). */
  otherClients(sessionId: string, clientId: string): Promise<string[]>;
  /** Takes over the agents and news of the session's top-level clients that `gone` says are gone. */
  adoptOrphans(sessionId: string, clientId: string, gone: (clientId: string) => boolean): Promise<void>;
}

/**
 * Why a worker may not start one of its own: its parent is gone or closed. Checked in the reserve,
 * under the write lock, so a close (which closes its agent first, then everything below) never
 * misses a worker its agent was starting at that moment.
 */
export function parentRefusal(parent: Pick<AgentRecord, 'task_name' | 'status'> | null | undefined, id: string) {
  if (!parent) return new MaestroError('not_found', `the parent agent ${id} does not exist`);
  if (parent.status === 'shutdown')
    return new MaestroError(
      'conflict',
      `${parent.task_name} was closed; a closed agent cannot start agents of its own`,
    );
  return null;
}
