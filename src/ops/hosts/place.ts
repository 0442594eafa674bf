/**
 * Spawning on another machine: `spawn_agent {host}` or `{labels}`. The coordinator's server checks
 * that a live host can take the agent, reserves it as it would a local one, and writes a spawn
 * request in the same unit of work; the host claims it (store/host-store.ts), starts the worker
 * and records the outcome, which the spawn returns. A request no host takes within
 * limits.control_timeout_ms expires, and the reservation is released with the reason.
 */
import { MaestroError } from '../../errors.js';
import type { HostRecord, SpawnRequest } from '../../store/host-store.js';
import type { AgentRecord } from '../../store/records.js';
import type { AgentDeps } from '../agents/deps.js';

export interface Placement {
  host: string | null;
  labels: string[];
}

const describe = (h: HostRecord) => `${h.name}${h.labels.length ? ` [${h.labels.join(', ')}]` : ''}`;

/** The live hosts, by the database's clock. */
export async function liveHosts(deps: Pick<AgentDeps, 'store'>): Promise<HostRecord[]> {
  return (await deps.store.hosts.list()).filter((h) => h.state === 'live' && h.fresh);
}

/** Refuses a placement no live host can take now, naming the hosts there are. */
export async function checkPlacement(deps: AgentDeps, placement: Placement): Promise<void> {
  const live = await liveHosts(deps);
  const known = live.length
    ? `live hosts: ${live.map(describe).join('; ')}`
    : 'no maestro host is running; start one on each machine with `maestro host --name NAME`';
  if (placement.host !== null) {
    const host = live.find((h) => h.name === placement.host);
    if (!host) throw new MaestroError('not_found', `no live maestro host is named ${placement.host}; ${known}`);
    const missing = placement.labels.filter((l) => !host.labels.includes(l));
    if (missing.length) {
      throw new MaestroError('invalid_input', `host ${host.name} lacks the labels ${missing.join(', ')}; ${known}`);
    }
    return;
  }
  if (!live.some((h) => placement.labels.every((l) => h.labels.includes(l)))) {
    throw new MaestroError(
      'not_found',
      `no live maestro host has every one of the labels ${placement.labels.join(', ')}; ${known}`,
    );
  }
}

/** Writes the spawn request for the reserved `agent` and waits until a host has started it (or not). */
export async function placeOnHost(
  deps: AgentDeps,
  agent: AgentRecord,
  placement: Placement,
  turn: { text: string; task: string; cwd: string | null },
): Promise<{ agent: AgentRecord; host: string | null }> {
  const { hosts } = deps.store;
  const timeoutMs = deps.config.config.limits.control_timeout_ms;
  const deadline = Date.now() + timeoutMs;
  const asked = await hosts.requestSpawn({
    session_id: agent.session_id,
    agent_id: agent.id,
    host: placement.host,
    labels: placement.labels,
    ...turn,
  });
  for (;;) {
    const now: SpawnRequest | null = await hosts.getSpawn(asked.id);
    if (!now) throw new MaestroError('storage', `spawn request ${asked.id} is gone from the store`);
    const current = async () => ({ agent: (await deps.agents.get(agent.id))!, host: now.taken_by });
    if (now.state === 'done' || now.state === 'failed') return current();
    if (now.state === 'pending' && Date.now() >= deadline) {
      const where = placement.host ?? `a host with the labels ${placement.labels.join(', ')}`;
      const reason = `no maestro host took it within ${timeoutMs} ms (limits.control_timeout_ms); ${where} may be busy (at its --capacity) or stopped`;
      if (await hosts.expireSpawn(asked.id, reason)) {
        const reserved = (await deps.agents.get(agent.id))!;
        await deps.agents.endTurn(agent.id, reserved.turn, {
          status: 'errored',
          error: `it could not be started: ${reason}`,
        });
        return current();
      }
      continue; // taken meanwhile
    }
    // Taken but not started in time (a slow start, a host gone mid-way): the call returns the agent
    // as it stands, bounded; wait_agent and list_agents tell the rest.
    if (now.state === 'taken' && Date.now() >= deadline) return current();
    const left = deadline - Date.now();
    await deps.store.changes.next(left > 1000 ? 1000 : Math.max(left, 1));
  }
}
