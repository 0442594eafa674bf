/**
 * A session's budget: what its team may spend — dollars, tokens, agents spawned, minutes — and
 * what happens as it is spent. Use is summed from the agents' records (what the backends
 * reported; Codex's tokens priced by the configuration). At 80% of a limit, and again at 100%, a
 * `budget` notice goes on the bus to the lead (or the coordinator) — once per limit, whichever
 * server sees it first. Once a limit is reached, spawn_agent and followup_task are refused
 * before they change anything, and the worker turns running are interrupted. The lead itself is
 * not: it is told, and it still reports.
 */
import { z } from 'zod';
import { isInTurn } from '../agents/status.js';
import { MaestroError } from '../errors.js';
import { budgetLimitsSchema, type BudgetLimits } from '../store/budget-store.js';
import type { AgentRecord } from '../store/records.js';
import type { AgentDeps } from './agents/deps.js';

export const BUDGET_TYPE = 'budget';
/** Who the notices are from on the bus. */
export const BUDGET_SENDER = 'maestro';

export const BUDGET_KINDS = ['usd', 'tokens', 'max_agents', 'max_minutes'] as const;
export type BudgetKind = (typeof BUDGET_KINDS)[number];

const usedSchema = z.object({
  usd: z.number(),
  tokens: z.number().describe('input (cached included) and output tokens'),
  agents: z.number().describe('agents spawned in the session, the lead not counted'),
  minutes: z.number().describe("since the budget's clock started"),
});
export type BudgetUsed = z.infer<typeof usedSchema>;

export const budgetViewSchema = z.object({
  limits: budgetLimitsSchema,
  used: usedSchema,
  spent: z
    .array(z.enum(BUDGET_KINDS))
    .describe('the limits reached: spawn_agent (and, but for max_agents, followup_task) are refused'),
  started_at: z.string(),
});
export type BudgetView = z.infer<typeof budgetViewSchema>;

const USED_OF: Record<BudgetKind, keyof BudgetUsed> = {
  usd: 'usd',
  tokens: 'tokens',
  max_agents: 'agents',
  max_minutes: 'minutes',
};

/** The `maestro budget` option that raises each limit. */
export const BUDGET_FLAGS: Record<BudgetKind, string> = {
  usd: '--usd',
  tokens: '--tokens',
  max_agents: '--max-agents',
  max_minutes: '--max-minutes',
};

function amount(kind: BudgetKind, value: number): string {
  switch (kind) {
    case 'usd':
      return `$${value.toFixed(value < 1 ? 4 : 2)}`;
    case 'tokens':
      return `${Math.round(value).toLocaleString('en')} tokens`;
    case 'max_agents':
      return `${value} agent${value === 1 ? '' : 's'}`;
    case 'max_minutes':
      return `${value.toFixed(value < 10 ? 2 : 0)} min`;
  }
}

/** "$0.0123 of $0.0100" — what is used of one limit. */
export function usedOf(view: BudgetView, kind: BudgetKind): string {
  return `${amount(kind, view.used[USED_OF[kind]])} of ${amount(kind, view.limits[kind]!)}`;
}

/** The session's budget and its use; null when neither the session nor the configuration sets one. */
export async function sessionBudget(deps: AgentDeps, sessionId: string): Promise<BudgetView | null> {
  const own = await deps.store.budgets.get(sessionId);
  const limits: BudgetLimits = { ...deps.config.config.limits.budget, ...own?.limits };
  if (Object.keys(limits).length === 0) return null;
  const agents = await deps.agents.list({ sessionId });
  const startedAt =
    own && Object.keys(own.limits).length > 0
      ? own.started_at
      : (agents.map((a) => a.created_at).sort()[0] ?? new Date().toISOString());
  const used: BudgetUsed = {
    usd: agents.reduce((sum, a) => sum + a.cost_usd, 0),
    tokens: agents.reduce((sum, a) => sum + a.input_tokens + a.output_tokens, 0),
    agents: agents.filter((a) => a.depth >= 1).length,
    minutes: Math.max(0, (Date.now() - Date.parse(startedAt)) / 60_000),
  };
  const spent = BUDGET_KINDS.filter((kind) => limits[kind] !== undefined && used[USED_OF[kind]] >= limits[kind]!);
  return { limits, used, spent, started_at: startedAt };
}

/**
 * Refuses `action` when the session's budget is spent, before anything is changed; names the
 * limit, what was used and how to raise it. A spent max_agents refuses only new agents.
 */
export async function checkBudget(
  deps: AgentDeps,
  sessionId: string,
  action: 'spawn_agent' | 'followup_task',
): Promise<void> {
  const view = await sessionBudget(deps, sessionId);
  if (!view) return;
  const spent = view.spent.filter((kind) => kind !== 'max_agents' || action === 'spawn_agent');
  if (spent.length === 0) return;
  const what = spent.map((kind) => `${kind} ${usedOf(view, kind)} used`).join(', ');
  const raise = spent.map((kind) => `${BUDGET_FLAGS[kind]} <more>`).join(' ');
  throw new MaestroError(
    'limit',
    `${action} refused: session ${sessionId}'s budget is spent (${what}). Raise it with: maestro budget -s ${sessionId} ${raise} (or limits.budget in .maestro/config.json for every session)`,
  );
}

/** The session's lead (the agent of depth 0 maestro team runs), if it has one open. */
function leadOf(agents: readonly AgentRecord[]): AgentRecord | null {
  return agents.find((a) => a.depth === 0 && a.status !== 'shutdown') ?? null;
}

/**
 * Gives the notices the session's use calls for that nobody gave yet, and — once a limit other
 * than max_agents is reached — interrupts the worker turns this server runs (each once:
 * `interrupted` remembers them across calls).
 */
export async function enforceBudget(deps: AgentDeps, sessionId: string, interrupted: Set<string>): Promise<void> {
  const view = await sessionBudget(deps, sessionId);
  if (!view) return;
  const agents = await deps.agents.list({ sessionId });
  const lead = leadOf(agents);
  for (const kind of BUDGET_KINDS) {
    const limit = view.limits[kind];
    if (limit === undefined) continue;
    const share = view.used[USED_OF[kind]] / limit;
    const threshold = share >= 1 ? 100 : share >= 0.8 ? 80 : null;
    if (threshold === null) continue;
    // Keyed by the limit too: a raised budget is warned about again.
    if (!(await deps.store.budgets.warn(sessionId, `${kind}:${threshold}:${limit}`, view.started_at))) continue;
    const consequence =
      threshold < 100
        ? 'at 100% spawn_agent and followup_task will be refused and running turns interrupted'
        : kind === 'max_agents'
          ? 'spawn_agent is refused from now on'
          : 'spawn_agent and followup_task are refused and the running worker turns are interrupted; close the agents and report';
    await deps.bus.log(
      {
        session_id: sessionId,
        from: BUDGET_SENDER,
        to: lead?.task_name ?? 'coordinator',
        type: BUDGET_TYPE,
        summary: `Budget ${threshold}%: ${kind} ${usedOf(view, kind)} used; ${consequence}.`,
        data: { kind, threshold, limit, used: view.used[USED_OF[kind]] },
        sender_agent_id: null,
      },
      // News for the lead's next turn, or a top-level coordinator's wait.
      lead?.id ?? '',
    );
  }
  if (!view.spent.some((kind) => kind !== 'max_agents')) return;
  const stopped: AgentRecord[] = [];
  for (const agent of agents) {
    const key = `${agent.id}:${agent.turn}`;
    if (agent.depth < 1 || !isInTurn(agent.status) || !deps.supervisor.owns(agent.id) || interrupted.has(key)) continue;
    interrupted.add(key);
    await deps.supervisor.interrupt(agent);
    stopped.push(agent);
  }
  if (stopped.length === 0) return;
  // An interrupt is no news to the parent that asks for it; one the budget asked for is, once the turns are over.
  await turnsOver(deps, stopped);
  await deps.bus.log(
    {
      session_id: sessionId,
      from: BUDGET_SENDER,
      to: lead?.task_name ?? 'coordinator',
      type: BUDGET_TYPE,
      summary: `Budget spent: interrupted ${stopped.map((a) => `${a.task_name}'s turn ${a.turn}`).join(', ')}.`,
      data: { interrupted: stopped.map((a) => ({ task_name: a.task_name, turn: a.turn })) },
      sender_agent_id: null,
    },
    lead?.id ?? '',
  );
}

/** Waits (a bounded time: the stop grace, and a little) until none of `agents` is still in the turn it was in. */
async function turnsOver(deps: AgentDeps, agents: readonly AgentRecord[]): Promise<void> {
  const deadline = Date.now() + deps.config.config.limits.stop_grace_ms + 5000;
  for (;;) {
    const current = await Promise.all(agents.map((a) => deps.agents.get(a.id)));
    const running = current.some((a, i) => a && a.turn === agents[i]!.turn && isInTurn(a.status));
    if (!running || Date.now() > deadline) return;
    await deps.store.changes.next(Math.max(1, deadline - Date.now()));
  }
}

/** How often a server with workers running checks their sessions' budgets (minutes pass without writes). */
const CHECK_MS = 1000;

export interface BudgetKeeper {
  /** An agent's turn ended here (its usage changed): its session's budget is checked now. */
  turnEnded(agentId: string): void;
  stop(): void;
}

/**
 * Keeps the budgets of the sessions this server runs workers in: checked when a turn ends here,
 * and every second while it runs any. Checks run one at a time.
 */
export function keepBudgets(deps: AgentDeps): BudgetKeeper {
  const interrupted = new Set<string>();
  const due = new Set<string>();
  let running: Promise<void> | null = null;
  const run = async () => {
    while (due.size > 0) {
      // What became due while a round ran is checked in the next round.
      const ids = [...due];
      due.clear();
      try {
        const sessions = new Set<string>();
        for (const id of ids) {
          const agent = await deps.agents.get(id);
          if (agent) sessions.add(agent.session_id);
        }
        for (const session of sessions) await enforceBudget(deps, session, interrupted);
      } catch (error) {
        deps.logger.warn({ err: error }, 'checking the budget failed');
      }
    }
  };
  const check = (agentIds: readonly string[]) => {
    for (const id of agentIds) due.add(id);
    if (running || due.size === 0) return;
    running = run().finally(() => {
      running = null;
      if (due.size > 0) check([]);
    });
  };
  const timer = setInterval(() => check(deps.supervisor.liveAgentIds()), CHECK_MS);
  timer.unref();
  return { turnEnded: (agentId) => check([agentId]), stop: () => clearInterval(timer) };
}

/** One line of what is used of each limit: "usd $0.0042 of $0.0100 (42%) · max_agents 2 agents of 3 (67%)", spent ones marked. */
export function budgetLine(view: BudgetView): string {
  return BUDGET_KINDS.filter((kind) => view.limits[kind] !== undefined)
    .map((kind) => {
      const share = Math.round((100 * view.used[USED_OF[kind]]) / view.limits[kind]!);
      return `${kind} ${usedOf(view, kind)} (${share}%${view.spent.includes(kind) ? ', spent' : ''})`;
    })
    .join(' · ');
}

/**
 * Sets the session's own budget: `limits` over what it had (a field not given stays). `restart`
 * starts its clock now (each `maestro team` run counts its own minutes).
 */
export async function setBudget(
  deps: AgentDeps,
  sessionId: string,
  limits: BudgetLimits,
  options: { restart: boolean },
): Promise<BudgetView> {
  const checked = budgetLimitsSchema.parse(limits);
  const own = await deps.store.budgets.get(sessionId);
  await deps.store.budgets.set(
    sessionId,
    { ...own?.limits, ...checked },
    options.restart ? new Date().toISOString() : undefined,
  );
  return (await sessionBudget(deps, sessionId))!;
}

/** A team run's budget: `limits` over the session's own, its clock started now; nothing when it has none. */
export async function startBudget(deps: AgentDeps, sessionId: string, limits: BudgetLimits): Promise<void> {
  if (Object.keys(limits).length > 0 || (await deps.store.budgets.get(sessionId)))
    await setBudget(deps, sessionId, limits, { restart: true });
}
