/**
 * Opening the project database: directory and file created owner-only, WAL for concurrent
 * readers alongside one writer, a busy timeout so writers queue instead of failing, foreign
 * keys on, and migrations applied under a write lock. Nothing here is cached across processes.
 */
import { closeSync, chmodSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MaestroError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Db = Database.Database;

export const BUSY_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  /** Open an existing database for reading only; never creates or migrates. */
  readonly?: boolean;
}

/** Opens (creating if needed) the database at `file`; `:memory:` gives a private empty one. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const memory = file === ':memory:';
  if (!memory && !options.readonly) ensureFile(file);
  else if (!memory && !existsSync(file)) {
    throw new MaestroError('storage', `no maestro database at ${file}`);
  }
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: !memory });
  } catch (error) {
    throw new MaestroError('storage', `cannot open database ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    migrate(db, file, options.readonly ?? false);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Creates the `.maestro` directory and an empty database file, both readable by the owner only. */
function ensureFile(file: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
  }
  if (!existsSync(file)) {
    // 'a' never truncates a file another process created a moment ago; SQLite gives the
    // -wal and -shm files the same permissions as the database file.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, file: string, readonly: boolean): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new MaestroError(
      'schema_too_new',
      `database ${file} has schema version ${current}, newer than this maestro understands (${SCHEMA_VERSION}); upgrade maestro`,
    );
  }
  if (current === SCHEMA_VERSION) return;
  if (readonly) {
    throw new MaestroError(
      'storage',
      `database ${file} needs migrating (version ${current} → ${SCHEMA_VERSION}); open it writable once`,
    );
  }
  db.transaction(() => {
    // Re-read under the write lock: another process may have migrated while we waited.
    const version = schemaVersion(db);
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
  }).immediate();
}
