/** Separate OS processes using the bus as servers do (fixtures/bus-client.ts), released together. */
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES } from './paths.js';
import { tempDir } from './temp.js';

const run = promisify(execFile);
const CLIENT = path.join(FIXTURES, 'bus-client.js');

/** Starts the processes, waits until every one has loaded, then releases them together. */
export async function inParallel(argsFor: (i: number) => string[], processes: number): Promise<string[][]> {
  const barrier = tempDir('maestro-barrier-');
  const running = Array.from({ length: processes }, (_, i) => run(process.execPath, [CLIENT, ...argsFor(i), barrier]));
  while (readdirSync(barrier).filter((f) => f.startsWith('ready-')).length < processes) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  writeFileSync(path.join(barrier, 'go'), '');
  const outputs = await Promise.all(running);
  return outputs.map(({ stdout }) => JSON.parse(stdout) as string[]);
}
