/**
 * Every process of an agent, whatever its process group or session. A worker starts with
 * MAESTRO_AGENT_ID=<agent id> and MAESTRO_DB=<database> in its environment and every process it
 * starts inherits them (unless it scrubs them), so a child that left the worker's group with
 * `setsid`, or one whose group leader is gone, is still found: by scanning /proc/<pid>/environ of
 * this user's processes (Linux). Invariants: only a process found with both entries, exactly,
 * at the moment of the scan is ever signalled, and only while it is still that process (pid and
 * start token); this process and its ancestors are never among them.
 */
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { procStatField, startToken } from './liveness.js';

export interface AgentProcess {
  pid: number;
  /** Start token when found: a pid reused by another process is never signalled. */
  start: string;
  agentId: string;
  /** Its process group when found (a worker's own group has the worker's pid). */
  pgid: number;
}

/** How long SIGKILLed processes get to disappear before a stop returns. */
const KILL_SETTLE_MS = 2000;

const AGENT_ID = 'MAESTRO_AGENT_ID=';
const DB = 'MAESTRO_DB=';
const MARKER = Buffer.from(AGENT_ID);

/** The entries of a process's environment, or null when it holds no agent id or cannot be read. */
function environ(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/environ`);
    return raw.includes(MARKER) ? raw.toString('utf8').split('\0') : null;
  } catch {
    return null; // gone (ESRCH/ENOENT) or not ours to read (EACCES)
  }
}

function ownedBy(pid: number, uid: number | undefined): boolean {
  if (uid === undefined) return true;
  try {
    return statSync(`/proc/${pid}`).uid === uid;
  } catch {
    return false;
  }
}

/** This process and every process above it: whatever their environment, never a target. */
function selfAndAncestors(): Set<number> {
  const chain = new Set<number>();
  for (let pid = process.pid; pid > 1 && !chain.has(pid);) {
    chain.add(pid);
    const parent = Number(procStatField(pid, 4));
    if (!Number.isInteger(parent) || parent <= 0) break;
    pid = parent;
  }
  return chain;
}

function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * The processes of this user that carry MAESTRO_DB=`dbFile` and an agent id (of `agentIds` when
 * given), zombies left out (they have already exited).
 */
export function findAgentProcesses(dbFile: string, agentIds?: ReadonlySet<string>): AgentProcess[] {
  const uid = process.getuid?.();
  const skip = selfAndAncestors();
  const found: AgentProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found; // no /proc: only process groups can be stopped here
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || skip.has(pid)) continue;
    // Another user's environment cannot be read (EACCES) unless this is root: then the owner is checked.
    const env = environ(pid);
    if (!env) continue;
    const agentId = env.find((e) => e.startsWith(AGENT_ID))?.slice(AGENT_ID.length);
    if (!agentId || (agentIds && !agentIds.has(agentId))) continue;
    const db = env.find((e) => e.startsWith(DB))?.slice(DB.length);
    if (db === undefined || !sameFile(db, dbFile)) continue;
    if (!ownedBy(pid, uid)) continue;
    const start = startToken(pid);
    if (start === null || procStatField(pid, 3) === 'Z') continue;
    found.push({ pid, start, agentId, pgid: Number(procStatField(pid, 5)) });
  }
  return found;
}

/** Still the process that was found, and not yet exited. */
function stillRunning(p: AgentProcess): boolean {
  return startToken(p.pid) === p.start && procStatField(p.pid, 3) !== 'Z';
}

function signal(p: AgentProcess, sig: NodeJS.Signals): void {
  if (!stillRunning(p)) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    // exited in between
  }
}

async function settle(found: AgentProcess[], deadline: number): Promise<AgentProcess[]> {
  let left = found.filter(stillRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(25);
    left = left.filter(stillRunning);
  }
  return left;
}

/**
 * SIGTERM to each of `found`, then SIGKILL after `graceMs` to those left and to what `rescan`
 * finds then (what they started meanwhile). Resolves once they are gone (or a short while after
 * SIGKILL); returns how many were signalled.
 */
export async function stopAgentProcesses(
  found: AgentProcess[],
  graceMs: number,
  rescan?: () => AgentProcess[],
): Promise<number> {
  if (found.length === 0) return 0;
  for (const p of found) signal(p, 'SIGTERM');
  const left = await settle(found, Date.now() + graceMs);
  const late = (rescan?.() ?? []).filter((p) => !left.some((l) => l.pid === p.pid));
  const kill = [...left, ...late];
  for (const p of kill) signal(p, 'SIGKILL');
  await settle(kill, Date.now() + KILL_SETTLE_MS);
  return found.length + late.length;
}
