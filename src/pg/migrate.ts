/**
 * Bringing a PostgreSQL database to this maestro's schema (migrations.ts). The version is read
 * first without a lock (the usual case: nothing to do); otherwise the migrations run in one
 * transaction under an advisory lock, re-reading the version under it, so of several servers
 * starting at once on several machines one migrates and the others find it done.
 */
import type pg from 'pg';
import { MaestroError } from '../errors.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './migrations.js';

export interface PgOpenOptions {
  /** Create maestro's tables when the database has none (default); false: fail with "no maestro database". */
  create?: boolean;
}

export async function schemaVersion(pool: pg.Pool | pg.ClientBase): Promise<number> {
  // Two statements: a query naming a table that does not exist fails when parsed, whatever a CASE says.
  const exists = await pool.query<{ found: boolean }>(`SELECT to_regclass('maestro_schema') IS NOT NULL AS found`);
  if (!exists.rows[0]?.found) return 0;
  const row = await pool.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM maestro_schema');
  return row.rows[0]?.version ?? 0;
}

export async function migrate(pool: pg.Pool, shown: string, options: PgOpenOptions): Promise<void> {
  const current = await schemaVersion(pool);
  if (current > PG_SCHEMA_VERSION) {
    throw new MaestroError(
      'schema_too_new',
      `the PostgreSQL database ${shown} has maestro schema version ${current}, newer than this maestro understands (${PG_SCHEMA_VERSION}); upgrade maestro`,
    );
  }
  if (current === PG_SCHEMA_VERSION) return;
  if (current === 0 && options.create === false) {
    throw new MaestroError(
      'not_found',
      `no maestro database at ${shown} yet; its tables are made by the first write — the maestro MCP server your client starts, or 'maestro msg log'`,
    );
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('maestro schema'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS maestro_schema (
      version     integer PRIMARY KEY,
      description text NOT NULL,
      applied_at  text NOT NULL
    )`);
    const version = await schemaVersion(client);
    for (const migration of PG_MIGRATIONS) {
      if (migration.version <= version) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO maestro_schema (version, description, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.description,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
