/**
 * Agent status: the values, which are final, and the one table of allowed transitions. Pure:
 * the store applies a transition atomically (`UPDATE … WHERE status IN (allowed predecessors)`),
 * and every status change in the system goes through it.
 */

export const AGENT_STATUSES = ['pending_init', 'running', 'completed', 'errored', 'interrupted', 'shutdown'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** What a target that names no agent resolves to in results (never stored). */
export const NOT_FOUND = 'not_found';

/** Statuses a turn ends in: a waiting parent has news when a child reaches one of these. */
export const FINAL_STATUSES: readonly AgentStatus[] = ['completed', 'errored', 'shutdown'];

export function isFinal(status: AgentStatus): boolean {
  return FINAL_STATUSES.includes(status);
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
