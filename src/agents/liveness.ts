/**
 * Telling processes apart. A pid alone can be reused once its process is gone, so maestro
 * records each worker's and each server's start token beside its pid and acts on a process
 * (calls it alive, signals it) only when both match: cleanup never reaches a stranger.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isInTurn, type AgentStatus } from './status.js';

/**
 * Field `n` (1-based, as `man proc` numbers them, from 3 on) of /proc/<pid>/stat; null where it
 * cannot be read.
 */
export function procStatField(pid: number, n: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3] ?? null;
  } catch {
    return null;
  }
}

/**
 * When the process started, as the OS reports it (Linux: field 22 of /proc/<pid>/stat, in clock
 * ticks since boot). Null where that cannot be read; then the pid alone is all there is.
 */
export function startToken(pid: number): string | null {
  return procStatField(pid, 22);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is still the process that had `token` when it was recorded. */
export function sameProcess(pid: number, token: string | null): boolean {
  if (!processAlive(pid)) return false;
  if (token === null) return true;
  const now = startToken(pid);
  return now === null || now === token;
}

/**
 * The machine a server runs on: MAESTRO_HOST when set (two maestro hosts sharing one kernel, in
 * network namespaces, name themselves), else the host name. A pid is only meaningful on its host.
 */
export const HOST = process.env.MAESTRO_HOST || hostname();

/**
 * This server's own identity, as recorded for the agents it supervises: its process (pid and
 * start token), its host, and an instance id that names this one run of it wherever it is read.
 */
export const SELF = {
  pid: process.pid,
  start: startToken(process.pid),
  host: HOST,
  server: `${HOST}/${process.pid}/${randomBytes(4).toString('hex')}`,
};

/** This server as an agent's supervisor, in the columns the store keeps. */
export const SELF_OWNER = {
  owner_pid: SELF.pid,
  owner_start: SELF.start,
  owner_host: SELF.host,
  owner_server: SELF.server,
} as const;

interface Owned {
  owner_pid: number | null;
  owner_start: string | null;
  owner_host: string | null;
  owner_server: string | null;
}

/** Whether this very server run supervises the agent. */
export function ownedHere(agent: Owned): boolean {
  if (agent.owner_server !== null) return agent.owner_server === SELF.server;
  // Recorded before servers had instance ids: the process is all there is.
  return agent.owner_pid === SELF.pid && agent.owner_start === SELF.start;
}

/**
 * Whether the agent's recorded supervising server is alive. A server on another host cannot be
 * looked at from here: it counts as alive (a server never reaps another machine's processes).
 */
export function ownerAlive(agent: Owned): boolean {
  if (agent.owner_pid === null) return false;
  if (ownedHere(agent)) return true;
  if (agent.owner_host !== null && agent.owner_host !== HOST) return true;
  return sameProcess(agent.owner_pid, agent.owner_start);
}

/**
 * Whether the agent was run by a server of this machine that is gone: only this machine can see
 * that (ownerAlive counts another machine's servers as alive), so its host looks for such agents.
 */
export function orphanedHere(agent: Owned): boolean {
  return agent.owner_pid !== null && (agent.owner_host ?? HOST) === HOST && !ownerAlive(agent);
}

/** Whether any process is left in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SIGTERM to the worker's process group, then SIGKILL to whatever is left after `graceMs`; only
 * when the group leader is still the recorded process (a group whose leader has exited is left
 * to its own server, which is the one that knows it).
 */
export async function terminateGroup(pgid: number, token: string | null, graceMs: number): Promise<boolean> {
  if (!sameProcess(pgid, token)) return false;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(25);
  if (groupAlive(pgid)) signal('SIGKILL');
  return true;
}

/**
 * Whether an agent's processes belong to a live maestro server other than this one (so this one
 * must leave them alone unless it closes the agent): its recorded server is alive, or — with no
 * server recorded — it is in a turn whose process another server is starting right now.
 */
export function runElsewhere(agent: Owned & { status: AgentStatus }): boolean {
  if (ownedHere(agent)) return false;
  if (agent.owner_pid !== null) return ownerAlive(agent);
  return isInTurn(agent.status);
}
