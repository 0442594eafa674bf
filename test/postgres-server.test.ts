/**
 * The PostgreSQL server the PostgreSQL tests stand on (test/helpers/postgres.ts): it starts for
 * real, as root or not, `pg` talks to it — a pool, a transaction, LISTEN/NOTIFY delivered at
 * commit and not for a rollback — a crash and a restart keep what was committed, and stopping it
 * leaves no process behind. Skipped, saying why, only where no PostgreSQL binaries exist at all.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findPgBin, freshDatabase, startPostgres } from './helpers/postgres.js';
import { alive, until } from './helpers/project.js';

const found = await findPgBin();
if ('missing' in found) process.stderr.write(`skipping the PostgreSQL tests: ${found.missing}\n`);

describe.skipIf('missing' in found)('a private PostgreSQL server for the tests', () => {
  it('starts, serves pg with LISTEN/NOTIFY at commit only, keeps commits across a crash, and stops leaving nothing', async () => {
    const server = await startPostgres();
    const postmaster = server.pid();
    try {
      expect(server.version).toMatch(/^postgres \(PostgreSQL\) \d+/);
      const url = await freshDatabase(server, `smoke_${process.pid}`);
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      pool.on('error', () => undefined); // idle clients die with the server in the crash below
      const listener = new pg.Client({ connectionString: url });
      listener.on('error', () => undefined);
      await listener.connect();
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query('LISTEN maestro_test');

      await pool.query('CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)');
      const tx = await pool.connect();
      await tx.query('BEGIN');
      await tx.query("INSERT INTO t VALUES (1, 'rolled back')");
      await tx.query("NOTIFY maestro_test, 'rolled back'");
      await tx.query('ROLLBACK');
      await tx.query('BEGIN');
      await tx.query("INSERT INTO t VALUES (2, 'kept')");
      await tx.query("NOTIFY maestro_test, 'committed'");
      await tx.query('COMMIT');
      tx.release();
      await until(() => heard.length > 0);
      expect(heard).toEqual(['committed']);
      await listener.end();

      await server.crash();
      await server.restart();
      const after = new pg.Client({ connectionString: url });
      await after.connect();
      expect((await after.query('SELECT id, v FROM t ORDER BY id')).rows).toEqual([{ id: 2, v: 'kept' }]);
      await after.end();
      await pool.end();
    } finally {
      const running = server.pid();
      await server.stop();
      await until(() => !alive(running) && !alive(postmaster));
    }
  }, 120_000);
});
