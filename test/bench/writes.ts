/**
 * (a) Write throughput in messages/s: the store's `log` from one process and from several
 * concurrent OS processes into one session (with a loss/duplicate check), against two ceilings
 * measured on the same machine: raw better-sqlite3 doing the store's two statements in one
 * BEGIN IMMEDIATE … COMMIT per row on the real schema, and a bare indexless table.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from '../../src/bus/db.js';
import { openSqliteStore } from '../../src/bus/sqlite-store.js';
import type { NewMessage } from '../../src/store/records.js';
import { BENCH_DIR, now, progressMessage, raceChildren, tempDir } from './common.js';
import type { WriterReport } from './writer.js';

const SESSION = 'bench-writes';

export interface WriteRun {
  messages: number;
  ms: number;
  per_s: number;
}

function run(messages: number, ms: number): WriteRun {
  return { messages, ms, per_s: (messages / ms) * 1000 };
}

/** The rows for one process: the same realistic progress messages, workers 1..8 interleaved. */
function rows(count: number): NewMessage[] {
  return Array.from({ length: count }, (_, i) => progressMessage(SESSION, (i % 8) + 1, i));
}

/** store.log from this process into a fresh database. */
export async function storeSingle(count: number): Promise<WriteRun> {
  const tmp = tempDir('store1');
  try {
    const store = openSqliteStore(tmp.file('bus.db'));
    const messages = rows(count);
    const start = now();
    for (const message of messages) await store.messages.log(message);
    const ms = now() - start;
    await store.close();
    return run(count, ms);
  } finally {
    tmp.cleanup();
  }
}

/** Raw better-sqlite3 on the migrated schema: sessions upsert + INSERT, one transaction per row. */
export function rawCeiling(count: number): WriteRun {
  const tmp = tempDir('raw');
  try {
    const db: Db = openDatabase(tmp.file('bus.db'));
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const nextSeq = db.prepare<[string, string], { seq: number }>(
      `INSERT INTO sessions (id, created_at, next_seq) VALUES (?, ?, 2)
       ON CONFLICT (id) DO UPDATE SET next_seq = next_seq + 1
       RETURNING next_seq - 1 AS seq`,
    );
    const insert = db.prepare(
      `INSERT INTO messages (session_id, seq, ts, from_role, to_role, type, summary, data, sender_agent_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const messages = rows(count);
    const start = now();
    for (const m of messages) {
      const ts = new Date().toISOString();
      const data = JSON.stringify(m.data);
      begin.run();
      const { seq } = nextSeq.get(m.session_id, ts)!;
      insert.run(m.session_id, seq, ts, m.from, m.to, m.type, m.summary, data, m.sender_agent_id);
      commit.run();
    }
    const ms = now() - start;
    db.close();
    return run(count, ms);
  } finally {
    tmp.cleanup();
  }
}

/** For information: one transaction per row into a plain table, no indexes, triggers or upsert. */
export function bareCeiling(count: number): WriteRun {
  const tmp = tempDir('bare');
  try {
    const db = new Database(tmp.file('bare.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE messages (session_id TEXT, seq INTEGER, ts TEXT, from_role TEXT, to_role TEXT,
             type TEXT, summary TEXT, data TEXT, sender_agent_id TEXT)`);
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const insert = db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const messages = rows(count);
    let seq = 0;
    const start = now();
    for (const m of messages) {
      const ts = new Date().toISOString();
      begin.run();
      insert.run(m.session_id, ++seq, ts, m.from, m.to, m.type, m.summary, JSON.stringify(m.data), m.sender_agent_id);
      commit.run();
    }
    const ms = now() - start;
    db.close();
    return run(count, ms);
  } finally {
    tmp.cleanup();
  }
}

export interface ConcurrentRun extends WriteRun {
  processes: number;
  per_process: number;
  rows: number;
  lost: number;
  duplicates: number;
  contiguous: boolean;
  writers: WriterReport[];
}

/** `processes` forked writers, released together, each logging `perProcess` messages into one session. */
export async function storeConcurrent(processes: number, perProcess: number): Promise<ConcurrentRun> {
  const tmp = tempDir('storeN');
  const file = tmp.file('bus.db');
  try {
    openDatabase(file).close(); // migrate once, so the writers do not race to create the schema
    const script = path.join(BENCH_DIR, 'writer.js');
    const children = Array.from({ length: processes }, (_, i) =>
      fork(script, [file, SESSION, String(i + 1), String(perProcess)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const { reports, ms } = await raceChildren<WriterReport>(children, 'writer');

    const db = openDatabase(file);
    const check = db
      .prepare<[string], { n: number; distinct_seq: number; min_seq: number; max_seq: number }>(
        'SELECT count(*) AS n, count(DISTINCT seq) AS distinct_seq, min(seq) AS min_seq, max(seq) AS max_seq FROM messages WHERE session_id = ?',
      )
      .get(SESSION)!;
    db.close();
    const expected = processes * perProcess;
    for (const r of reports) if (r.error) console.error(`writer ${r.worker}: ${r.error}`);
    return {
      ...run(check.n, ms),
      processes,
      per_process: perProcess,
      rows: check.n,
      lost: Math.max(0, expected - check.distinct_seq),
      duplicates: check.n - check.distinct_seq,
      contiguous: check.distinct_seq === expected && check.min_seq === 1 && check.max_seq === expected,
      writers: reports,
    };
  } finally {
    tmp.cleanup();
  }
}
