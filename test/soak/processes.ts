/**
 * Orphan detection without trusting maestro's own records: every process on the machine whose
 * working directory is inside the soak's project, or whose environment names its database, is
 * one the run started (the coordinator's server, workers, their servers, CLIs). After the run
 * has closed everything, none may be left.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { procStatField } from '../../src/agents/liveness.js';

export interface Leftover {
  pid: number;
  command: string;
}

function belongs(pid: number, projectDir: string, dbFile: string): boolean {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    if (cwd === projectDir || cwd.startsWith(`${projectDir}/`)) return true;
  } catch {
    // gone, or not ours to look at
  }
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MAESTRO_DB=${dbFile}`);
  } catch {
    return false;
  }
}

export function processesOf(projectDir: string, dbFile: string): Leftover[] {
  const found: Leftover[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    // A zombie has already exited; it only waits for its parent to collect it.
    if (procStatField(pid, 3) === 'Z' || !belongs(pid, projectDir, dbFile)) continue;
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
export async function orphans(projectDir: string, dbFile: string, graceMs: number): Promise<Leftover[]> {
  const deadline = Date.now() + graceMs;
  let left = processesOf(projectDir, dbFile);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = processesOf(projectDir, dbFile);
  }
  return left;
}
