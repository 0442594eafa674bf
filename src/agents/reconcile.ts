/**
 * Recovery after a server died without stopping its workers (SIGKILL, a crash). At start, every
 * agent whose supervising server is gone is put right: its worker process, if that very process
 * is still running, is stopped (none keeps running unsupervised); a turn it was in ends as
 * errored with the reason; the backend session id stays, so a followup_task resumes it.
 */
import type { AgentStore } from '../bus/agent-store.js';
import type { Logger } from '../log.js';
import { SELF, sameProcess, terminateGroup } from './liveness.js';
import { NO_PROCESS } from './supervisor.js';

export interface Reconciled {
  task_name: string;
  session_id: string;
  stopped_pid: number | null;
  ended_turn: boolean;
}

export async function reconcileOrphans(agents: AgentStore, logger: Logger, graceMs: number): Promise<Reconciled[]> {
  const done: Reconciled[] = [];
  for (const agent of agents.list({})) {
    if (agent.status === 'shutdown' && agent.pid === null) continue;
    if (agent.owner_pid === null && agent.pid === null) continue;
    if (agent.owner_pid === SELF.pid && agent.owner_start === SELF.start) continue;
    if (agent.owner_pid !== null && sameProcess(agent.owner_pid, agent.owner_start)) continue; // its server lives
    let stopped: number | null = null;
    if (agent.pid !== null && (await terminateGroup(agent.pid, agent.pid_start, graceMs))) stopped = agent.pid;
    agents.setProcess(agent.id, NO_PROCESS);
    const inTurn = agent.status === 'running' || agent.status === 'pending_init';
    if (inTurn) {
      agents.endTurn(agent.id, agent.turn, {
        status: 'errored',
        error: `its maestro server (pid ${agent.owner_pid}) stopped unexpectedly; a followup_task resumes it`,
      });
    }
    done.push({ task_name: agent.task_name, session_id: agent.session_id, stopped_pid: stopped, ended_turn: inTurn });
    logger.warn(
      { agent: agent.id, task: agent.task_name, stopped_pid: stopped, owner_pid: agent.owner_pid },
      'reconciled an orphaned agent',
    );
  }
  return done;
}
