/**
 * Child process for the PostgreSQL write ceiling: the same progress messages as writer.ts, each
 * inserted by pg in a transaction of its own into a plain table — no counters, no feed, no lock:
 * what this machine's PostgreSQL does at most. fork() with argv = URL, session, worker, N.
 */
import pg from 'pg';
import { now, progressMessage } from './common.js';
import type { WriterReport } from './writer.js';

const [url, sessionId, workerArg, countArg] = process.argv.slice(2);
const worker = Number(workerArg);
const count = Number(countArg);
const client = new pg.Client({ connectionString: url });
await client.connect();
const messages = Array.from({ length: count }, (_, i) => progressMessage(sessionId!, worker, i));

process.on('message', async (msg) => {
  if (msg !== 'go') return;
  const start = now();
  let written = 0;
  for (const [i, m] of messages.entries()) {
    await client.query(
      `INSERT INTO raw_messages (session_id, seq, ts, from_role, to_role, type, summary, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        m.session_id,
        worker * 1_000_000 + i,
        new Date().toISOString(),
        m.from,
        m.to,
        m.type,
        m.summary,
        JSON.stringify(m.data),
      ],
    );
    written++;
  }
  const ms = now() - start;
  await client.end();
  const report: WriterReport = { worker, written, ms, p50_ms: 0, p99_ms: 0, max_ms: 0 };
  process.send!({ done: report }, () => process.disconnect());
});

process.send!({ ready: true });
