/**
 * Naming agents in calls: a target is an agent id or a task name in the caller's session, and a
 * worker may control only the agents below it. An unknown target is an error that names it.
 */
import type { AgentRecord } from '../../store/records.js';
import { MaestroError } from '../../errors.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';

export async function findAgent(
  deps: Pick<AgentDeps, 'agents'>,
  sessionId: string,
  target: string,
): Promise<AgentRecord> {
  const agent = await deps.agents.resolve(sessionId, target);
  if (agent) return agent;
  const known = (await deps.agents.list({ sessionId })).filter((a) => a.status !== 'shutdown').map((a) => a.task_name);
  throw new MaestroError(
    'not_found',
    `no agent '${target}' in session ${sessionId}${known.length ? `; open agents: ${known.join(', ')}` : '; it has no open agents'}`,
  );
}

/** The coordinator controls every agent of its session; a worker only its own descendants. */
export function checkControl(caller: Caller, agent: AgentRecord, verb: string): void {
  if (!caller.agentId || !caller.path) return;
  if (!agent.path.startsWith(`${caller.path}/`)) {
    throw new MaestroError(
      'forbidden',
      `${caller.role} may ${verb} only agents it started (or their descendants); ${agent.task_name} is not one`,
    );
  }
}
