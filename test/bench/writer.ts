/**
 * Child process for the concurrent-write benchmark: opens the store on the given database (a
 * SQLite file or a postgres:// URL),
 * reports "ready", waits for "go", logs N progress messages into one session, and reports its
 * own elapsed time and per-write latencies. Run with fork(): argv = db file, session, worker, N.
 */
import { openStore } from '../../src/store/open.js';
import { now, percentile, progressMessage } from './common.js';

export interface WriterReport {
  worker: number;
  written: number;
  ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  error?: string;
}

const [file, sessionId, workerArg, countArg] = process.argv.slice(2);
const worker = Number(workerArg);
const count = Number(countArg);
if (!file || !sessionId || !Number.isInteger(worker) || !Number.isInteger(count) || !process.send) {
  console.error('usage: fork(writer.js, [db, session, worker, count]) with an IPC channel');
  process.exit(2);
}

const store = await openStore(file);
const messages = Array.from({ length: count }, (_, i) => progressMessage(sessionId, worker, i));
const latencies = new Float64Array(count);

process.on('message', async (msg) => {
  if (msg !== 'go') return;
  let written = 0;
  let error: string | undefined;
  const start = now();
  try {
    for (let i = 0; i < count; i++) {
      const t = now();
      await store.messages.log(messages[i]!);
      latencies[i] = now() - t;
      written++;
    }
  } catch (e) {
    error = (e as Error).message;
  }
  const ms = now() - start;
  await store.close();
  const done = Array.from(latencies.subarray(0, written));
  const report: WriterReport = {
    worker,
    written,
    ms,
    p50_ms: percentile(done, 50),
    p99_ms: percentile(done, 99),
    max_ms: done.reduce((a, b) => Math.max(a, b), 0),
    ...(error ? { error } : {}),
  };
  process.send!({ done: report }, () => process.disconnect());
});

process.send({ ready: true });
