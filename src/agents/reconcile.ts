/**
 * Recovery after a server died without stopping its workers (SIGKILL, a crash). At start, every
 * agent whose supervising server is gone is put right: its worker's process group, if that very
 * leader is still running, is stopped, and so is every other process still carrying the agent's
 * marker (agent-processes.ts: a child that left the group, or outlived a leader killed by
 * SIGPIPE); a turn it was in ends as errored with the reason; the backend session id stays, so a
 * followup_task resumes it. What an exited worker left behind is stopped the same way. The machine
 * it ran on stays recorded with its processes cleared: its CLI session and transcript are there.
 */
import type { AgentStore } from '../store/agent-store.js';
import type { Logger } from '../log.js';
import { findAgentProcesses, stopAgentProcesses } from './agent-processes.js';
import { ownedHere, runElsewhere, terminateGroup } from './liveness.js';
import { isInTurn } from './status.js';
import { NO_PROCESS } from './supervisor.js';

export interface Reconciled {
  task_name: string;
  session_id: string;
  stopped_pid: number | null;
  /** Processes of the agent found by its marker and stopped. */
  stopped_others: number;
  ended_turn: boolean;
}

export async function reconcileOrphans(
  agents: AgentStore,
  logger: Logger,
  graceMs: number,
  dbFile: string,
): Promise<Reconciled[]> {
  const marked = findAgentProcesses(dbFile);
  const done: Reconciled[] = [];
  for (const agent of await agents.list({})) {
    if (ownedHere(agent)) continue;
    if (runElsewhere(agent)) continue; // its server lives, or is starting its process now
    // A worker process, or a turn its gone server was running (or starting).
    const recorded = agent.pid !== null || (agent.owner_pid !== null && isInTurn(agent.status));
    const left = marked.filter((p) => p.agentId === agent.id);
    const cleared = { ...NO_PROCESS, owner_host: agent.owner_host };
    if (!recorded && left.length === 0) {
      // Nothing ran: only the record that a gone server ran it goes.
      if (agent.owner_pid !== null) await agents.setProcess(agent.id, cleared);
      continue;
    }
    let stopped: number | null = null;
    if (agent.pid !== null && (await terminateGroup(agent.pid, agent.pid_start, graceMs))) stopped = agent.pid;
    const others = await stopAgentProcesses(left, graceMs, () => findAgentProcesses(dbFile, new Set([agent.id])));
    const inTurn = recorded && isInTurn(agent.status);
    if (recorded) await agents.setProcess(agent.id, cleared);
    if (inTurn) {
      await agents.endTurn(agent.id, agent.turn, {
        status: 'errored',
        error: `its maestro server (pid ${agent.owner_pid}) stopped unexpectedly; a followup_task resumes it`,
      });
    }
    done.push({
      task_name: agent.task_name,
      session_id: agent.session_id,
      stopped_pid: stopped,
      stopped_others: others,
      ended_turn: inTurn,
    });
    logger.warn(
      {
        agent: agent.id,
        task: agent.task_name,
        stopped_pid: stopped,
        stopped_others: others,
        owner_pid: agent.owner_pid,
      },
      recorded ? 'reconciled an orphaned agent' : 'stopped what an exited worker left behind',
    );
  }
  return done;
}
