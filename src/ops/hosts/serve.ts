/**
 * What a `maestro host` does with the spawn requests addressed to it: at every change it claims
 * the oldest it may take (by name, or by labels it has), while it runs fewer workers than its
 * capacity, and starts each exactly as a server starts its own spawns — the working directory
 * checked against this machine's project, the worker run and supervised by this process — then
 * records the outcome the asking server returns.
 */
import { errorMessage } from '../../errors.js';
import type { SpawnRequest } from '../../store/host-store.js';
import type { AgentDeps } from '../agents/deps.js';
import { startReserved } from '../agents/reservation.js';
import { workingDirectory } from '../agents/spawn.js';

export interface HostIdentity {
  name: string;
  labels: string[];
  capacity: number;
}

export interface SpawnServer {
  /** Looks for requests now (called at each change). */
  kick(): void;
  /** Resolves once the starts under way have been recorded. */
  settled(): Promise<void>;
}

export function serveSpawnRequests(deps: AgentDeps, host: HostIdentity): SpawnServer {
  const starting = new Set<Promise<void>>();
  let claiming = false;
  let again = false;

  const claim = async () => {
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    try {
      do {
        again = false;
        while (deps.supervisor.liveCount() + starting.size < host.capacity) {
          const request = await deps.store.hosts.claimSpawn(host);
          if (!request) break;
          const start = startRequested(deps, request).finally(() => {
            starting.delete(start);
            again = true;
          });
          starting.add(start);
        }
      } while (again && deps.supervisor.liveCount() + starting.size < host.capacity);
    } catch (error) {
      deps.logger.error({ err: error }, 'claiming spawn requests failed');
    } finally {
      claiming = false;
    }
  };

  return {
    kick: () => void claim(),
    settled: async () => {
      await Promise.all([...starting]);
    },
  };
}

async function startRequested(deps: AgentDeps, request: SpawnRequest): Promise<void> {
  let error: string | null = null;
  try {
    const agent = await deps.agents.get(request.agent_id);
    if (!agent || agent.status !== 'pending_init') {
      error = `agent ${request.agent_id} is ${agent ? agent.status : 'gone'}; nothing was started`;
    } else {
      await startReserved(deps, agent, async () => {
        const cwd = await workingDirectory(deps, request.cwd ?? undefined);
        await deps.agents.setCwd(agent.id, cwd);
        await deps.supervisor.runTurn({ ...agent, cwd }, request.text, request.task);
      });
      const after = await deps.agents.get(agent.id);
      if (after?.status === 'errored') error = after.status_reason ?? 'it failed to start';
      deps.logger.info({ agent: agent.id, task: agent.task_name, status: after?.status }, 'spawned for a coordinator');
    }
  } catch (failure) {
    error = errorMessage(failure);
  }
  await deps.store.hosts
    .finishSpawn(request.id, error)
    .catch((failure: unknown) => deps.logger.error({ err: failure, request: request.id }, 'recording a spawn failed'));
}
