/**
 * Follow-ups a stopped server left queued. A follow-up that arrived mid-turn is queued in the
 * store; when the server that ran the turn is gone (SIGKILL, a crash, a stop), the next server
 * of the agent's parent — the coordinator's, or the worker's that spawned it — starts it, once
 * the agent's orphaned turn has been put right (agents/reconcile.ts). Two servers that both try
 * are told apart by the store: a turn starts with its follow-up in one transaction.
 */
import { clientGone } from '../../agents/client.js';
import { HOST, runElsewhere } from '../../agents/liveness.js';
import type { AgentRecord } from '../../store/records.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';

/** Whether the caller is the agent's parent: the one whose server runs its turns. */
function isParent(caller: Caller, agent: AgentRecord): boolean {
  if (caller.agentId) return agent.parent_id === caller.agentId;
  if (agent.parent_id !== null) return false;
  // A top-level agent is its own client's; a client that is gone leaves it to the next.
  return agent.client_id === null || agent.client_id === caller.clientId || clientGone(agent.client_id);
}

/** Starts the queued follow-ups no live server will run and this server's caller is parent to; returns their agents. */
export async function resumeQueuedFollowups(deps: AgentDeps, caller: Caller): Promise<string[]> {
  const resumed: string[] = [];
  for (const agent of await deps.agents.withFollowups()) {
    if (agent.status === 'shutdown' || runElsewhere(agent) || !isParent(caller, agent)) continue;
    // Another machine's agent resumes there (its CLI session is there), through its host.
    if (agent.owner_host !== null && agent.owner_host !== HOST) continue;
    if (deps.supervisor.owns(agent.id)) continue;
    if (await deps.supervisor.runQueued(agent.id)) resumed.push(agent.task_name);
  }
  if (resumed.length) deps.logger.info({ agents: resumed }, 'resumed follow-ups a stopped server left queued');
  return resumed;
}
