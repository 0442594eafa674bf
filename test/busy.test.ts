/**
 * Waiting for the write lock (src/bus/busy.ts): a write that finds another process's writer
 * holding the lock waits for it and commits exactly once, with the connection's busy timeout as
 * it was. The lock is held by a worker thread on its own connection, which releases it on its own
 * timer: the write blocks this thread while it waits.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, openDatabase } from '../src/bus/db.js';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
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

describe('a write that finds the lock taken', () => {
  it('waits for another writer holding the lock, then commits the message once', async () => {
    const file = tempDbFile();
    const store = openSqliteStore(file).messages;
    const { released } = await holdLock(file, 300);
    const logged = await store.log(message); // waits until the worker commits
    await released;
    expect(logged.id).toBe('MSG-001');
    expect((await store.list('s1', {}, { limit: 10 })).messages.map((m) => m.id)).toEqual(['MSG-001']);
    expect((await store.log(message)).id).toBe('MSG-002');
    const db = openDatabase(file);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    db.close();
  });
});
