/**
 * Agent status: the values, the one table of allowed transitions, and every decision made from a
 * status — what a backend event means for it (`statusFromEvent`), whether an agent is in a turn,
 * whether its ending is news for its parent, whether it holds a slot. Pure: the store applies a
 * transition atomically (`UPDATE … WHERE status IN (allowed predecessors)`), every status change
 * in the system goes through it, and every module asks these functions instead of comparing
 * status strings itself.
 */
import type { BackendEvent } from '../backends/types.js';

export const AGENT_STATUSES = ['pending_init', 'running', 'completed', 'errored', 'interrupted', 'shutdown'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** What a target that names no agent resolves to in results (never stored). */
export const NOT_FOUND = 'not_found';

/** Statuses nothing follows without new work (a follow-up) or at all (shutdown). */
export const FINAL_STATUSES: readonly AgentStatus[] = ['completed', 'errored', 'shutdown'];

export function isFinal(status: AgentStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** A turn is under way: its process is starting (pending_init) or working (running). */
export function isInTurn(status: AgentStatus): boolean {
  return status === 'running' || status === 'pending_init';
}

/**
 * A turn ending the waiting parent hears of (wait_agent news): the agent completed or failed.
 * An interrupt or a close is the parent's own doing, so it is no news to it.
 */
export function isNewsForParent(status: AgentStatus): boolean {
  return status === 'completed' || status === 'errored';
}

/**
 * Whether an agent holds one of its session's `max_open_agents` slots: every open agent does,
 * except an errored one with no process (a spawn that failed, a worker that died) — it runs
 * nothing, and a follow-up must take a slot again before it runs (agent-store.ts).
 * `HOLDS_SLOT_SQL` is the same rule for counting in SQL; test/status.test.ts checks they agree.
 */
export function holdsSlot(agent: { status: AgentStatus; pid: number | null }): boolean {
  return isOpen(agent.status) && !(agent.status === 'errored' && agent.pid === null);
}
export const HOLDS_SLOT_SQL = `(status <> 'shutdown' AND NOT (status = 'errored' AND pid IS NULL))`;

/** What ends a turn, and why when it failed. */
export interface TurnEnding {
  status: 'completed' | 'errored' | 'interrupted';
  error: string | null;
}

/** What the supervisor knows of a worker process beside its events. */
export interface EventContext {
  /** A turn is open in this process: its ending is not recorded yet. */
  turnOpen: boolean;
  /** Why maestro is stopping the process ('idle', a time limit, the server stopping, a close), or null. */
  stopReason: string | null;
}

/** The stop reason of a persistent worker let go between turns: it cuts no turn short. */
export const IDLE_STOP = 'idle';

/**
 * The one mapping from a backend event to a status: how the open turn ends, or null when the
 * event changes no status (session ids, activity, input windows, anything after the turn ended).
 * A turn maestro cut short (time limit, server stopping) ended for that reason however the CLI
 * put it; a process that exits mid-turn ended it errored, with the most specific reason known.
 */
export function statusFromEvent(event: BackendEvent, context: EventContext): TurnEnding | null {
  if (!context.turnOpen) return null;
  switch (event.kind) {
    case 'turn_end': {
      const cut = context.stopReason !== null && context.stopReason !== IDLE_STOP;
      return cut ? { status: 'errored', error: context.stopReason } : { status: event.outcome, error: event.error };
    }
    case 'exit':
      return {
        status: 'errored',
        error: context.stopReason ?? event.error ?? `the worker exited (${event.signal ?? `code ${event.code}`})`,
      };
    default:
      return null;
  }
}

/** An open agent can take a follow-up; a shut-down one is gone for good. */
export function isOpen(status: AgentStatus): boolean {
  return status !== 'shutdown';
}

/** For each status, the statuses it may be entered from. */
export const ALLOWED_FROM: Record<AgentStatus, readonly AgentStatus[]> = {
  pending_init: [],
  running: ['pending_init', 'completed', 'errored', 'interrupted'],
  completed: ['running'],
  errored: ['pending_init', 'running'],
  interrupted: ['running'],
  shutdown: ['pending_init', 'running', 'completed', 'errored', 'interrupted'],
};

export function canTransition(from: AgentStatus, to: AgentStatus): boolean {
  return ALLOWED_FROM[to].includes(from);
}

/** SQL list of the statuses, for the CHECK constraint: generated from the same constant as the type. */
export const STATUS_SQL_LIST = AGENT_STATUSES.map((s) => `'${s}'`).join(', ');
