/**
 * Orphan detection without trusting maestro's own records: every process on the machine whose
 * working directory is inside one of the soak's checkouts, or whose environment names its
 * database, is one the run started (the coordinator's server, hosts, workers, their servers,
 * CLIs). After the run has closed everything, none may be left.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { procStatField } from '../../src/agents/liveness.js';

export interface Leftover {
  pid: number;
  command: string;
}

function belongs(pid: number, dirs: readonly string[], database: string): boolean {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    if (dirs.some((dir) => cwd === dir || cwd.startsWith(`${dir}/`))) return true;
  } catch {
    // gone, or not ours to look at
  }
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MAESTRO_DB=${database}`);
  } catch {
    return false;
  }
}

export function processesOf(dirs: readonly string[], database: string): Leftover[] {
  const found: Leftover[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    // A zombie has already exited; it only waits for its parent to collect it.
    if (procStatField(pid, 3) === 'Z' || !belongs(pid, dirs, database)) continue;
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    found.push({ pid, command });
  }
  return found;
}

/** The run's processes still alive after `graceMs` (time for exits already under way to finish). */
export async function orphans(dirs: readonly string[], database: string, graceMs: number): Promise<Leftover[]> {
  const deadline = Date.now() + graceMs;
  let left = processesOf(dirs, database);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = processesOf(dirs, database);
  }
  return left;
}
