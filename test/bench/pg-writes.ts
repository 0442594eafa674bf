/**
 * (i) team_msg log throughput on PostgreSQL: `processes` forked writers through the store (the
 * same writer.js as SQLite's figure, given a URL), with the loss and contiguity check, against the
 * ceiling of raw pg on the same server — one transaction per insert into a plain table.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { openPgStore } from '../../src/pg/pg-store.js';
import { freshDatabase, type PgServer } from '../helpers/postgres.js';
import { BENCH_DIR, raceChildren } from './common.js';
import type { WriteRun } from './writes.js';
import type { WriterReport } from './writer.js';

const SESSION = 'bench-writes';
let databases = 0;

export interface PgConcurrentRun extends WriteRun {
  lost: number;
  duplicates: number;
  contiguous: boolean;
}

async function race(script: string, url: string, processes: number, perProcess: number) {
  const children = Array.from({ length: processes }, (_, i) =>
    fork(path.join(BENCH_DIR, script), [url, SESSION, String(i + 1), String(perProcess)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const { reports, ms } = await raceChildren<WriterReport>(children, script);
  for (const r of reports) if (r.error) console.error(`writer ${r.worker}: ${r.error}`);
  return ms;
}

export async function pgStoreConcurrent(
  server: PgServer,
  processes: number,
  perProcess: number,
): Promise<PgConcurrentRun> {
  const url = await freshDatabase(server, `bench_store_${process.pid}_${++databases}`);
  await (await openPgStore(url)).close(); // migrated once, before the writers start
  const ms = await race('writer.js', url, processes, perProcess);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const check = (
    await client.query<{ n: string; distinct_seq: string; min_seq: string; max_seq: string }>(
      'SELECT count(*) AS n, count(DISTINCT seq) AS distinct_seq, min(seq) AS min_seq, max(seq) AS max_seq FROM messages WHERE session_id = $1',
      [SESSION],
    )
  ).rows[0]!;
  await client.end();
  const expected = processes * perProcess;
  const n = Number(check.n);
  const distinct = Number(check.distinct_seq);
  return {
    messages: n,
    ms,
    per_s: (n / ms) * 1000,
    lost: Math.max(0, expected - distinct),
    duplicates: n - distinct,
    contiguous: distinct === expected && Number(check.min_seq) === 1 && Number(check.max_seq) === expected,
  };
}

export async function pgRawCeiling(server: PgServer, processes: number, perProcess: number): Promise<WriteRun> {
  const url = await freshDatabase(server, `bench_raw_${process.pid}_${++databases}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE raw_messages (session_id text, seq bigint, ts text, from_role text, to_role text,
                        type text, summary text, data json)`);
  await client.end();
  const ms = await race('pg-raw-writer.js', url, processes, perProcess);
  const messages = processes * perProcess;
  return { messages, ms, per_s: (messages / ms) * 1000 };
}
