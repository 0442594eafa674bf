/**
 * The database going away and coming back under a running store: calls made meanwhile fail with
 * an error that says the database cannot be reached (they do not hang), nothing acknowledged
 * before is lost, and once the server is back the same store writes again and hears other
 * processes' commits again — with nobody reopening anything.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgStore, type PgStore } from '../src/pg/pg-store.js';
import { findPgBin, freshDatabase, startPostgres, type PgServer } from './helpers/postgres.js';
import { until } from './helpers/project.js';

const found = await findPgBin();
if ('missing' in found) process.stderr.write(`skipping the PostgreSQL outage test: ${found.missing}\n`);

const message = (summary: string) => ({
  session_id: 'S-out',
  from: 'IMPL-001',
  to: 'coordinator',
  type: 'progress',
  summary,
  data: {},
  sender_agent_id: null,
});

/** Logs `summary` once the store can write again (each try that fails wrote nothing). */
const writesAgain = (store: PgStore, summary: string) =>
  until(async () => {
    try {
      await store.messages.log(message(summary));
      return true;
    } catch {
      return false;
    }
  });

describe.skipIf('missing' in found)('a PostgreSQL outage', () => {
  let server: PgServer;
  const stores: PgStore[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    await server?.stop();
  });

  it('fails calls clearly while the server is down, loses nothing acknowledged, and recovers by itself', async () => {
    const url = await freshDatabase(server, `outage_${process.pid}`);
    const store = await openPgStore(url);
    const other = await openPgStore(url);
    stores.push(store, other);
    for (let i = 1; i <= 5; i++) await store.messages.log(message(`before ${i}`));

    await server.crash();
    await expect(store.messages.log(message('during'))).rejects.toThrow(/cannot be reached/);
    await expect(store.messages.list('S-out', {}, { limit: 10 })).rejects.toThrow(/cannot be reached/);

    await server.restart();
    // The pool makes new connections; the first call after the restart may still meet a dead one.
    await writesAgain(store, 'after');
    const page = await store.messages.list('S-out', {}, { limit: 50 });
    const summaries = page.messages.map((m) => m.summary);
    expect(summaries.slice(0, 5)).toEqual(['before 1', 'before 2', 'before 3', 'before 4', 'before 5']);
    expect(summaries).not.toContain('during');
    expect(summaries.filter((s) => s === 'after').length).toBeGreaterThanOrEqual(1);
    // Ids stay contiguous across the outage.
    expect(page.messages.map((m) => m.id)).toEqual(
      page.messages.map((_, i) => `MSG-${String(i + 1).padStart(3, '0')}`),
    );

    // The listening connection came back too: another store's commit is heard.
    let heard = false;
    const unsubscribe = store.changes.subscribe((change) => {
      if (change.foreign) heard = true;
    });
    try {
      await until(async () => {
        await other.messages.log(message('from the other store'));
        return heard;
      });
    } finally {
      unsubscribe();
    }
  });

  it('a connection lost while a unit of work holds it fails that unit clearly, commits none of it, and the process goes on', async () => {
    const url = await freshDatabase(server, `outage_mid_${process.pid}`);
    const store = await openPgStore(url);
    stores.push(store);
    await store.messages.log(message('first'));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const unit = store.transaction(async (tx) => {
        await tx.messages.log(message('inside'));
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction'`,
        );
        // Time for the end of the connection to reach the client between two statements: a
        // connection lost there was an unhandled 'error' event that ended the whole process.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.messages.log(message('after the loss'));
      });
      await expect(unit).rejects.toThrow(/cannot be reached/);
    } finally {
      await admin.end();
    }
    await writesAgain(store, 'next');
    const page = await store.messages.list('S-out', {}, { limit: 50 });
    expect(page.messages.map((m) => m.summary)[0]).toBe('first');
    expect(page.messages.map((m) => m.summary)).not.toContain('inside');
    expect(page.messages.map((m) => m.id)).toEqual(
      page.messages.map((_, i) => `MSG-${String(i + 1).padStart(3, '0')}`),
    );
  });
});
