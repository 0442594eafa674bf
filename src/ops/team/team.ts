/**
 * `maestro team` as an operation: start a session's lead (or pick up a stopped one), drive the
 * team to its end, then leave nothing running. A team that completed is closed, every agent of
 * it shut down; a team that was stopped or whose lead failed keeps its agents open, so that
 * `maestro team resume` continues it — the lead in its own CLI session, the workers' turns cut
 * short told to it as news.
 */
import { findAgentProcesses, stopAgentProcesses } from '../../agents/agent-processes.js';
import { reconcileOrphans } from '../../agents/reconcile.js';
import { isInTurn } from '../../agents/status.js';
import { ownedHere, ownerAlive } from '../../agents/liveness.js';
import { MaestroError } from '../../errors.js';
import type { BudgetLimits } from '../../store/budget-store.js';
import type { AgentRecord } from '../../store/records.js';
import { startBudget } from '../budget.js';
import { SHELL_USER } from '../caller.js';
import { closeAgent } from '../agents/control.js';
import type { AgentDeps } from '../agents/deps.js';
import { driveTeam, type DriveOptions, type TeamEnd } from './drive.js';
import { leadTurnText, takeInbox } from './inbox.js';
import { findLead, startLead, type LeadOptions } from './lead.js';

/** `budget`: limits for the session (over those it had); the budget's clock starts again with each run. */
export type TeamStart =
  | { kind: 'new'; lead: LeadOptions; budget?: BudgetLimits }
  | { kind: 'resume'; sessionId: string; budget?: BudgetLimits };

export interface TeamRunOptions extends DriveOptions {
  dbFile: string;
  /** Told once the lead is recorded and its turn started. */
  onLead?: (lead: AgentRecord) => void | Promise<void>;
}

const RESUMED = `[maestro] This team was stopped and is picked up again now (maestro team resume). Check where each task stands (the skill's resume: list_agents, the session's tasks.json, the bus), then carry on to the end.`;

/** The stopped session's lead with its next turn started: what it missed, and the word to carry on. */
async function resumeLead(deps: AgentDeps, sessionId: string, budget: BudgetLimits = {}): Promise<AgentRecord> {
  const lead = await findLead(deps, sessionId);
  if (!lead) {
    const teams = (await deps.agents.list({})).filter((a) => a.depth === 0).map((a) => a.session_id);
    throw new MaestroError(
      'not_found',
      `session ${sessionId} has no lead to resume${teams.length ? `; sessions started by maestro team: ${[...new Set(teams)].join(', ')}` : ''}`,
    );
  }
  if (lead.status === 'shutdown')
    throw new MaestroError('conflict', `session ${sessionId} is finished (its lead is closed); start a new team`);
  if (!ownedHere(lead) && ownerAlive(lead) && lead.owner_pid !== null)
    throw new MaestroError('conflict', `session ${sessionId} is running (maestro team pid ${lead.owner_pid})`);
  await startBudget(deps, sessionId, budget);
  // A turn its gone process was in is over.
  if (isInTurn(lead.status))
    await deps.agents.endTurn(lead.id, lead.turn, { status: 'interrupted', error: 'the team was stopped' });
  const now = (await deps.agents.get(lead.id))!;
  const missed = await takeInbox(deps, now);
  const body = missed ? `${RESUMED}\n\n${missed.text}` : RESUMED;
  await deps.supervisor.runTurn(now, await leadTurnText(deps, now, body, missed?.messageIds), 'resume the team');
  return (await deps.agents.get(lead.id))!;
}

/** Stops whatever of the session still runs: the lead (whose server stops its workers), then anything left. */
async function stopTeam(deps: AgentDeps, dbFile: string, lead: AgentRecord, reason: string): Promise<void> {
  await deps.supervisor.stop(lead.id, reason);
  const ids = new Set((await deps.agents.list({ sessionId: lead.session_id })).map((a) => a.id));
  const grace = deps.config.config.limits.stop_grace_ms;
  await stopAgentProcesses(findAgentProcesses(dbFile, ids), grace, () => findAgentProcesses(dbFile, ids));
  // Turns of workers whose server went with the lead are ended, saying so.
  await reconcileOrphans(deps.agents, deps.logger, grace, dbFile);
}

export async function runTeam(deps: AgentDeps, start: TeamStart, options: TeamRunOptions): Promise<TeamEnd> {
  const lead =
    start.kind === 'new'
      ? await startLead(deps, start.lead, start.budget)
      : await resumeLead(deps, start.sessionId, start.budget);
  await options.onLead?.(lead);
  let end: TeamEnd;
  try {
    end = await driveTeam(deps, lead, options);
  } catch (error) {
    await stopTeam(deps, options.dbFile, lead, 'the team failed');
    throw error;
  }
  if (end.outcome === 'completed') {
    await closeAgent(deps, SHELL_USER, { target: lead.id, session_id: lead.session_id });
  } else {
    await stopTeam(deps, options.dbFile, lead, end.outcome === 'stopped' ? 'the team was stopped' : 'the lead failed');
  }
  return { ...end, lead: (await deps.agents.get(lead.id)) ?? end.lead };
}
