/**
 * The lead of a team that `maestro team` runs: an agent of depth 0 (no parent), task name
 * `lead`, run by the team's own process like any worker — its own maestro-tools server, its
 * identity proved by its process — so its workers are its children and their news is its news.
 * The team-coordinate skill is copied into the lead's own files, so no `maestro install` is needed.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { nanoid } from 'nanoid';
import { SELF_OWNER } from '../../agents/liveness.js';
import { agentDir } from '../../agents/transcript.js';
import type { BackendName } from '../../backends/types.js';
import { MaestroError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import type { BudgetLimits } from '../../store/budget-store.js';
import type { AgentRecord } from '../../store/records.js';
import { startBudget } from '../budget.js';
import type { AgentDeps } from '../agents/deps.js';
import { startReserved } from '../agents/reservation.js';
import { rosterText, type Roster } from './roster.js';

export const LEAD_TASK_NAME = 'lead';
export const LEAD_AGENT_TYPE = 'lead';

export interface LeadOptions {
  sessionId: string;
  requirement: string;
  roster: Roster;
  backend: Extract<BackendName, 'claude' | 'codex'>;
  model?: string | undefined;
}

/** Where the lead's copy of the skill is. */
export function leadSkillRoot(dataDir: string, lead: Pick<AgentRecord, 'id'>): string {
  return path.join(agentDir(dataDir, lead.id), 'skills', 'team-coordinate');
}

/** The session's lead, or null when the session has none. */
export async function findLead(deps: AgentDeps, sessionId: string): Promise<AgentRecord | null> {
  const lead = await deps.agents.resolve(sessionId, LEAD_TASK_NAME);
  return lead && lead.depth === 0 ? lead : null;
}

export function leadFirstTurn(lead: AgentRecord, skillRoot: string, options: LeadOptions, root: string): string {
  return [
    `[maestro] You lead team session ${lead.session_id} in the project ${root}.`,
    `The team-coordinate skill is installed for you at ${skillRoot}: read ${path.join(skillRoot, 'SKILL.md')} first and follow it, with the requirement below as its argument and ${lead.session_id} as the session id.`,
    options.roster.length
      ? `Roster: the team has exactly these workers, by role: ${rosterText(options.roster)}. Use these roles and no others.`
      : 'Roster: none was given; choose the roles the requirement needs (at most 5).',
    '',
    `Requirement: ${options.requirement}`,
  ].join('\n');
}

/** Records the lead (with the session's budget, before it can spend) and starts its first turn; the session must not have a lead already. */
export async function startLead(
  deps: AgentDeps,
  options: LeadOptions,
  budget: BudgetLimits = {},
): Promise<AgentRecord> {
  if (await findLead(deps, options.sessionId)) {
    throw new MaestroError(
      'conflict',
      `session ${options.sessionId} already has a lead; pick it up with: maestro team resume ${options.sessionId}`,
    );
  }
  await startBudget(deps, options.sessionId, budget);
  const id = nanoid();
  const skillRoot = leadSkillRoot(deps.dataDir, { id });
  cpSync(path.join(PACKAGE_ROOT, 'skills', 'team-coordinate'), skillRoot, { recursive: true });
  const type = deps.config.agentType(LEAD_AGENT_TYPE);
  const lead = await deps.agents.reserve(
    {
      id,
      session_id: options.sessionId,
      task_name: LEAD_TASK_NAME,
      nickname: null,
      agent_type: LEAD_AGENT_TYPE,
      parent_id: null,
      depth: 0,
      path: `/${LEAD_TASK_NAME}`,
      backend: options.backend,
      command: null,
      model: options.model ?? type.model ?? null,
      reasoning_effort: type.reasoning_effort ?? null,
      cwd: deps.config.projectRoot,
      worktree: null,
      branch: null,
      ...SELF_OWNER,
      client_id: null,
      task: options.requirement,
    },
    { maxOpenAgents: deps.config.config.limits.max_open_agents, maxDepth: deps.config.config.limits.max_depth },
  );
  await startReserved(deps, lead, async () => {
    await deps.supervisor.runTurn(
      lead,
      leadFirstTurn(lead, skillRoot, options, deps.config.projectRoot),
      options.requirement,
    );
  });
  return (await deps.agents.get(id))!;
}
