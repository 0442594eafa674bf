/**
 * What is left of an agent, counted from /proc without maestro's own code: every process of this
 * user whose environment holds MAESTRO_AGENT_ID=<id> (zombies have exited; they are not counted).
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface Found {
  pid: number;
  /** Session id (field 6 of /proc/<pid>/stat). */
  session: number;
  command: string;
}

function stat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function processesWithEnv(entry: string): Found[] {
  const found: Found[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry)) continue;
      const fields = stat(pid);
      if (!fields || fields[0] === 'Z') continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      found.push({ pid, session: Number(fields[3]), command });
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

/** The live processes carrying agent `agentId`'s marker. */
export function agentProcesses(agentId: string): Found[] {
  return processesWithEnv(`MAESTRO_AGENT_ID=${agentId}`);
}

/** Whether `pid` has exited and been collected by its parent (no longer even a zombie). */
export function gone(pid: number): boolean {
  return stat(pid) === null;
}
