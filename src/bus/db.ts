/**
 * Opening the project database: directory and file created owner-only, WAL for concurrent
 * readers alongside one writer, a busy timeout so writers queue instead of failing, foreign
 * keys on, and migrations applied under a write lock. Nothing here is cached across processes.
 *
 * Invariants: a database maestro creates appears at its path complete (built beside it, then
 * linked into place), so an empty file there is damage, never "new"; every failure names the
 * file and how to recover; a writable connection refuses to write once its file has been
 * deleted or replaced (see file-guard.ts), because those writes could never be read again.
 */
import { closeSync, chmodSync, existsSync, linkSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MaestroError } from '../errors.js';
import { guardFile } from './file-guard.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
import { noDatabase, recoveryHint, storageError } from './storage-errors.js';

export type Db = Database.Database;

export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Tables checked at every open: everything except the message log and its search index, which
 * hold nearly all of a big database's pages. Checking these costs about a millisecond whatever the
 * size; `PRAGMA quick_check` of a 1,000,000-message database takes seconds (README, Troubleshooting).
 */
const VITAL_TABLES = [
  'sessions',
  'agents',
  'agent_turns',
  'followups',
  'control_requests',
  'client_sessions',
  'events',
  'news_cursors',
  'news_acks',
  'role_state',
  'mailbox_cursors',
];

/** Databases up to this size get the full `quick_check` when a check of everything is asked for. */
export const FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024;

export interface OpenOptions {
  /** Open an existing database for reading only; never creates or migrates. */
  readonly?: boolean;
  /** Create the database if there is none (default for writable opens); false: fail with "no database". */
  create?: boolean;
  /**
   * How much to check before serving: 'vital' (default) the small tables, 'full' `quick_check`
   * of everything when the file is at most FULL_CHECK_MAX_BYTES (else the vital tables).
   */
  check?: 'vital' | 'full';
}

/** Opens (creating if needed) the database at `file`; `:memory:` gives a private empty one. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file === ':memory:') return configure(new Database(':memory:'), file, options);
  const readonly = options.readonly ?? false;
  if (!existsSync(file)) {
    if (readonly || options.create === false) throw noDatabase(file);
    createDatabase(file);
  }
  refuseEmpty(file);
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: true });
  } catch (error) {
    throw storageError(file, 'cannot be opened', error);
  }
  try {
    configure(db, file, options);
    if (!readonly) guardFile(db, file);
  } catch (error) {
    db.close();
    throw error instanceof MaestroError ? error : storageError(file, 'cannot be used', error);
  }
  return db;
}

function configure(db: Db, file: string, options: OpenOptions): Db {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  migrate(db, file, options.readonly ?? false);
  if (file !== ':memory:') check(db, file, options.check ?? 'vital');
  return db;
}

function check(db: Db, file: string, depth: 'vital' | 'full'): void {
  const everything = depth === 'full' && statSync(file).size <= FULL_CHECK_MAX_BYTES;
  const present = new Set(
    (db.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    ),
  );
  const problems = everything
    ? quickCheck(db)
    : VITAL_TABLES.filter((table) => present.has(table)).flatMap((table) => quickCheck(db, table));
  if (problems.length) {
    const shown = problems.slice(0, 3).join('; ');
    throw new MaestroError('storage', `database ${file} is damaged (quick_check: ${shown}). ${recoveryHint(file)}`);
  }
}

function quickCheck(db: Db, table?: string): string[] {
  const rows = db.pragma(table ? `quick_check('${table}')` : 'quick_check', { simple: false }) as {
    quick_check: string;
  }[];
  return rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
}

/**
 * A 0-byte file was not made by maestro (see the header): a truncation, a failed copy, `> file`.
 * SQLite would take it for a new database and the loss would go unnoticed, so refuse it.
 */
function refuseEmpty(file: string): void {
  if (statSync(file).size === 0) {
    throw new MaestroError(
      'storage',
      `database ${file} is an empty file (0 bytes): it was truncated or never finished, so it holds none of the team's messages. ${recoveryHint(file)}`,
    );
  }
}

/**
 * Builds a new database beside `file` and links it into place: link never replaces an existing
 * file, so of several processes starting at once one wins and the others open its database, and
 * no process ever sees a half-made file at `file`.
 */
function createDatabase(file: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
  }
  if (existsSync(`${file}-wal`) && !existsSync(file)) {
    // A log of writes to a database that is gone: a new database here would replay it.
    throw new MaestroError(
      'storage',
      `database ${file} is missing but its write-ahead log ${file}-wal is still there. ${recoveryHint(file)}`,
    );
  }
  const building = `${file}.new-${process.pid}`;
  // SQLite gives the -wal and -shm files the same permissions as the database file.
  closeSync(openSync(building, 'w', 0o600));
  chmodSync(building, 0o600);
  try {
    const db = new Database(building);
    try {
      configure(db, building, {});
    } finally {
      db.close(); // checkpoints and removes building's -wal: the file is complete on its own
    }
    try {
      linkSync(building, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } catch (error) {
    throw error instanceof MaestroError ? error : storageError(file, 'cannot be created', error);
  } finally {
    for (const leftover of [building, `${building}-wal`, `${building}-shm`]) {
      if (existsSync(leftover)) unlinkSync(leftover);
    }
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
      if (migration.loosen) loosenConstraints(db, migration.loosen);
      db.pragma(`user_version = ${migration.version}`);
    }
  }).immediate();
}

/** Rewrites stored table definitions (see Migration.loosen), inside the migration's transaction. */
function loosenConstraints(db: Db, edits: NonNullable<Migration['loosen']>): void {
  const version = db.pragma('schema_version', { simple: true }) as number;
  // better-sqlite3 opens connections in defensive mode, which forbids writing the schema table.
  db.unsafeMode(true);
  db.pragma('writable_schema = ON');
  try {
    const edit = db.prepare(
      `UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ? AND instr(sql, ?) > 0`,
    );
    for (const { table, from, to } of edits) {
      if (edit.run(from, to, table, from).changes !== 1)
        throw new Error(`migration: the definition of table ${table} does not hold '${from}'`);
    }
    // Other connections see the new definition at their next statement.
    db.pragma(`schema_version = ${version + 1}`);
  } finally {
    db.pragma('writable_schema = OFF');
    db.unsafeMode(false);
  }
}
