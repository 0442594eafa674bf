/**
 * Shared pieces of the benchmark: where things live, temp directories, the realistic message
 * rows the skills write, and small statistics helpers. Measures nothing itself.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NewMessage } from '../../src/store/records.js';

/** dist/test/bench → the repository root. */
export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '../../..');
export const RESULTS_DIR = path.join(ROOT, 'bench-results');
export const CLI = path.join(ROOT, 'dist/bin/main.js');

/** A fresh temp directory, removed by `cleanup()`. */
export function tempDir(label: string): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `maestro-bench-${label}-`));
  return {
    dir,
    file: (name) => path.join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The progress message a worker skill logs, as the store takes it. */
export function progressMessage(sessionId: string, worker: number, i: number): NewMessage {
  const role = `IMPL-${String(worker).padStart(3, '0')}`;
  const pct = (i * 10) % 100;
  return {
    session_id: sessionId,
    from: role,
    to: 'coordinator',
    type: 'progress',
    summary: `[${role}] phase done (${pct}%)`,
    data: {
      task_id: role,
      role: 'implementer',
      status: 'in_progress',
      progress_pct: pct,
      phase: `phase-${i % 7}`,
      key_info: `edited src/module-${i % 13}.ts; tests green`,
    },
    sender_agent_id: null,
  };
}

export function now(): number {
  return performance.now();
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Runs forked load processes as one race: waits for every child's `{ready: true}` hello, sends
 * them all `go` at once, then collects each one's `{done: R}` report and the wall time from `go`
 * to the last report. `what` names the children in errors.
 */
export async function raceChildren<R>(children: ChildProcess[], what: string): Promise<{ reports: R[]; ms: number }> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`${what} exited early with code ${code}`)));
          child.once('message', (msg) => {
            const m = msg as { ready?: boolean; failed?: string };
            if (m.ready) resolve();
            else reject(new Error(`${what} failed to start: ${m.failed ?? 'bad hello'}`));
          });
        }),
    ),
  );
  const finished = children.map(
    (child) =>
      new Promise<{ report: R; at: number }>((resolve, reject) => {
        child.removeAllListeners('exit');
        child.once('exit', (code) => reject(new Error(`${what} exited with code ${code} before reporting`)));
        child.once('message', (msg) => resolve({ report: (msg as { done: R }).done, at: now() }));
      }),
  );
  const go = now();
  for (const child of children) child.send('go');
  const done = await Promise.all(finished);
  const ms = Math.max(...done.map((d) => d.at)) - go;
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  return { reports: done.map((d) => d.report), ms };
}
