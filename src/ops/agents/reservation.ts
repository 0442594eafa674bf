/**
 * A spawn's reservation is committed or released, never left holding a slot. Once `reserve` has
 * taken a slot (the agent pending_init), whatever fails before its worker runs — the agent's
 * files, the launch, the server stopping — ends the reserved turn errored with the reason and
 * records no process, so the agent holds no slot (agents/status.ts `holdsSlot`) and stays
 * listed, errored, saying why, as an agent whose CLI could not start does. Keeping it (rather
 * than deleting it) is what a user expects from a failed start: the reason stays visible in
 * list_agents and wait_agent, and close_agent frees its name (and removes its worktree).
 */
import { isInTurn } from '../../agents/status.js';
import { NO_PROCESS } from '../../agents/supervisor.js';
import type { AgentRecord } from '../../store/records.js';
import { errorMessage } from '../../errors.js';
import type { AgentDeps } from './deps.js';

/** Runs `start` for the reserved `agent`; if it throws, the reservation is released. */
export async function startReserved(deps: AgentDeps, agent: AgentRecord, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    try {
      await release(deps, agent, `it could not be started: ${errorMessage(error)}`);
    } catch (releasing) {
      // The store itself failed: nothing more can be recorded; the caller hears the first error.
      deps.logger.error({ agent: agent.id, err: releasing }, 'releasing a failed spawn failed');
      throw error;
    }
  }
}

async function release(deps: AgentDeps, agent: AgentRecord, reason: string): Promise<void> {
  deps.logger.warn({ agent: agent.id, task: agent.task_name, reason }, 'spawn failed after its reservation');
  // A process that did start is stopped first: a released slot runs nothing.
  if (deps.supervisor.owns(agent.id)) await deps.supervisor.stop(agent.id, reason);
  const now = await deps.agents.get(agent.id);
  if (now && isInTurn(now.status)) await deps.agents.endTurn(agent.id, now.turn, { status: 'errored', error: reason });
  await deps.agents.setProcess(agent.id, NO_PROCESS);
}
