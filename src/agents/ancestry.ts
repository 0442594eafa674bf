/**
 * A process's line of ancestors, itself first: what a worker's identity is bound to. A process
 * of the same user can read another's files and environment (a secret, /proc/<pid>/environ),
 * but it cannot make itself the descendant of a process it was not started under. Each entry is
 * a pid with its start token (liveness.ts), the pair the agents table records for a worker.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { procStatField, startToken } from './liveness.js';

export interface ProcessRef {
  pid: number;
  /** Null where the OS does not report it (then the pid alone names the process). */
  start: string | null;
}

/** Deeper than any real process tree: a bound in case a parent link ever loops. */
const MAX_DEPTH = 128;

/** The parent of `pid`, or null when it has none or it cannot be read. */
function parentOf(pid: number): number | null {
  // Linux: field 4 of /proc/<pid>/stat. Elsewhere ps, which every POSIX system has.
  const field = existsSync('/proc/self/stat') ? procStatField(pid, 4) : psParent(pid);
  const parent = field === null ? NaN : Number(field);
  return Number.isInteger(parent) && parent > 0 ? parent : null;
}

function psParent(pid: number): string | null {
  try {
    return execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** `pid` and its ancestors up to the first that cannot be read (or init), nearest first. */
export function ancestry(pid: number = process.pid): ProcessRef[] {
  const line: ProcessRef[] = [];
  for (let current: number | null = pid; current !== null && line.length < MAX_DEPTH; current = parentOf(current)) {
    line.push({ pid: current, start: startToken(current) });
    if (current === 1) break;
  }
  return line;
}
