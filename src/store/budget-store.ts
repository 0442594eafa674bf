/**
 * A session's budget, as every engine must provide it: what the session may spend (dollars,
 * tokens, agents, minutes) when it has a budget of its own (`maestro team --budget-usd …`), and
 * which budget notices it has been given — each once, whichever server notices first.
 */
import { z } from 'zod';

export const budgetLimitsSchema = z.strictObject({
  /** Dollars, summed from what the backends report (Codex's tokens priced by `pricing`). */
  usd: z.number().positive().optional(),
  /** Input (cached included) and output tokens. */
  tokens: z.number().int().positive().optional(),
  /** Agents spawned in the session (the lead not counted). */
  max_agents: z.number().int().positive().optional(),
  /** Minutes since the session's budget started (its first agent, or `maestro team`). */
  max_minutes: z.number().positive().optional(),
});
export type BudgetLimits = z.infer<typeof budgetLimitsSchema>;

export interface SessionBudget {
  session_id: string;
  limits: BudgetLimits;
  started_at: string;
}

export interface BudgetStore {
  /**
   * Sets the session's own budget, replacing one set before. Its clock (for max_minutes) starts
   * at `startAt` when given, else stays where it was (now, for a session's first budget).
   */
  set(sessionId: string, limits: BudgetLimits, startAt?: string): Promise<SessionBudget>;
  get(sessionId: string): Promise<SessionBudget | null>;
  /** Records that notice `key` was given; true only for the one caller that recorded it first. */
  warn(sessionId: string, key: string, startedAt: string): Promise<boolean>;
}

/** A budget as both engines store it: one column per limit, null where none is set. */
export interface BudgetRow {
  session_id: string;
  usd: number | null;
  tokens: number | null;
  max_agents: number | null;
  max_minutes: number | null;
  started_at: string;
}

export function toBudget(row: BudgetRow): SessionBudget {
  const limits: BudgetLimits = {};
  if (row.usd !== null) limits.usd = row.usd;
  if (row.tokens !== null) limits.tokens = row.tokens;
  if (row.max_agents !== null) limits.max_agents = row.max_agents;
  if (row.max_minutes !== null) limits.max_minutes = row.max_minutes;
  return { session_id: row.session_id, limits, started_at: row.started_at };
}
