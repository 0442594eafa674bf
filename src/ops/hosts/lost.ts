/**
 * A host that stopped heartbeating past its bound is lost: whoever notices first (any host, or a
 * server that placed agents on hosts) takes it from the store, once, and puts its agents right —
 * a turn it was running ends as errored with the reason; the process columns are cleared but the
 * machine is kept, with the backend session id, because a CLI session lives on the machine that
 * ran it: a followup_task resumes it there when a host runs on that machine again
 * (ops/agents/control-requests.ts routes it). Nothing here touches a process: a machine's
 * processes are only ever stopped from that machine.
 */
import { NO_PROCESS } from '../../agents/supervisor.js';
import { isInTurn } from '../../agents/status.js';
import type { HostRecord } from '../../store/host-store.js';
import type { AgentDeps } from '../agents/deps.js';

export function lostReason(host: HostRecord): string {
  return (
    `its maestro host ${host.name} (on ${host.machine}) stopped heartbeating: last heard at ${host.heartbeat_at}, ` +
    `${host.lost_after_ms} ms is the bound; its CLI session lives on that machine, and a followup_task resumes it ` +
    `there once \`maestro host --name ${host.name}\` runs again`
  );
}

export async function sweepLostHosts(deps: Pick<AgentDeps, 'store' | 'agents' | 'logger'>): Promise<HostRecord[]> {
  const lost = await deps.store.hosts.markLost();
  for (const host of lost) {
    const reason = lostReason(host);
    const theirs = (await deps.agents.list({})).filter((a) => a.owner_server === host.server);
    for (const agent of theirs) {
      if (isInTurn(agent.status)) await deps.agents.endTurn(agent.id, agent.turn, { status: 'errored', error: reason });
      await deps.agents.setProcess(agent.id, { ...NO_PROCESS, owner_host: host.machine });
    }
    deps.logger.warn({ host: host.name, machine: host.machine, agents: theirs.map((a) => a.task_name) }, 'host lost');
  }
  return lost;
}
