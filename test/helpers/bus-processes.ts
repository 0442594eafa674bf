/**
 * Other OS processes on the same database, started together: each runs test/fixtures/bus-client
 * (log N messages, read a mailbox until it is empty, or spawn, run and complete N agents) and
 * reports the message ids it wrote or was delivered (the agent ids, for agents). Every process announces itself and waits for a `go` file, so all of them start
 * at once however slowly each one loaded.
 */
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES } from './paths.js';
import { tempDir } from './temp.js';

const run = promisify(execFile);
const CLIENT = path.join(FIXTURES, 'bus-client.js');

export type BusJob =
  | { mode: 'log'; session: string; role: string; count: number }
  | { mode: 'mailbox'; session: string; role: string; batch: number }
  | { mode: 'agents'; session: string; role: string; count: number };

/** Runs every job in its own process against `db`, released together; the ids each reported. */
export async function inOtherProcesses(db: string, jobs: BusJob[]): Promise<string[][]> {
  const barrier = tempDir('maestro-barrier-');
  const running = jobs.map((job) =>
    run(process.execPath, [
      CLIENT,
      job.mode,
      db,
      job.session,
      job.role,
      String(job.mode === 'mailbox' ? job.batch : job.count),
      barrier,
    ]),
  );
  while (readdirSync(barrier).filter((f) => f.startsWith('ready-')).length < jobs.length) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  writeFileSync(path.join(barrier, 'go'), '');
  const outputs = await Promise.all(running);
  return outputs.map(({ stdout }) => JSON.parse(stdout) as string[]);
}
