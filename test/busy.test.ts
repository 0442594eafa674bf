/**
 * The fair write retrier (src/bus/busy.ts): a write that finds another process's writer holding
 * the lock waits for it and commits exactly once; one that cannot get the lock before its
 * deadline fails with a storage error and writes nothing; the connection keeps its busy timeout
 * for every other statement either way. The lock is held by a worker thread on its own
 * connection, which releases it on its own timer: the retrier blocks this thread while it waits.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, openDatabase } from '../src/bus/db.js';
import { createWriteRetry } from '../src/bus/busy.js';
import { createMessageStore } from '../src/bus/message-store.js';
import { MaestroError } from '../src/errors.js';
import { tempDbFile } from './helpers/temp.js';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/** Takes the write lock on `file` from another connection, holds it `ms`, then commits. */
async function holdLock(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.module);
     const db = new Database(workerData.file);
     db.exec('BEGIN IMMEDIATE');
     parentPort.postMessage('held');
     setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, workerData.ms);`,
    { eval: true, workerData: { file, ms, module: BETTER_SQLITE3 } },
  );
  const released = new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m) => m === 'released' && resolve());
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m) => (m === 'held' ? resolve() : reject(new Error(String(m)))));
  });
  return { released: released.finally(() => worker.terminate()) };
}

const message = {
  session_id: 's1',
  from: 'IMPL-001',
  to: 'coordinator',
  type: 'progress',
  summary: 'waited for the lock',
  data: {},
  sender_agent_id: null,
};

describe('fair write retrier', () => {
  it('waits for another writer holding the lock, then commits the message once', async () => {
    const file = tempDbFile();
    const db = openDatabase(file);
    const store = createMessageStore(db);
    const { released } = await holdLock(file, 300);
    const logged = store.log(message); // blocks until the worker commits
    await released;
    expect(logged.id).toBe('MSG-001');
    expect(store.list('s1', {}, { limit: 10 }).messages.map((m) => m.id)).toEqual(['MSG-001']);
    expect(store.log(message).id).toBe('MSG-002');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    db.close();
  });

  it('gives up at its deadline with a storage error, writes nothing, and keeps the connection usable', async () => {
    const file = tempDbFile();
    const db = openDatabase(file);
    const retry = createWriteRetry(db, 200);
    const insert = db.transaction(() =>
      db.prepare("INSERT INTO sessions (id, created_at, next_seq) VALUES ('s1', 'now', 1)").run(),
    );
    const { released } = await holdLock(file, 3_000);
    let caught: unknown;
    try {
      retry(() => insert.immediate());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MaestroError);
    expect((caught as MaestroError).code).toBe('storage');
    expect((caught as MaestroError).message).toMatch(/locked by other writers for 0.2 s; try again/);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    await released;
    expect(db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    retry(() => insert.immediate());
    expect(db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 1 });
    db.close();
  });

  it('passes through errors that are not a busy lock, untouched and without retrying', () => {
    const db = openDatabase(tempDbFile());
    const retry = createWriteRetry(db);
    let calls = 0;
    expect(() =>
      retry(() => {
        calls++;
        throw new Error('not busy');
      }),
    ).toThrow('not busy');
    expect(calls).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    db.close();
  });
});
