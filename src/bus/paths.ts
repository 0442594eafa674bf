/**
 * Where a project's database lives. Every process in a project — the coordinator's server,
 * each worker's server, a person's shell — must arrive at the same database, so the rule is
 * deliberately simple: `--db` or `MAESTRO_DB` if given, else `"database"` in the project's
 * `.maestro/config.json`, else `<project root>/.maestro/maestro.db`, where the project root is the
 * git top-level of the working directory, or the directory itself. The database is a SQLite file,
 * or a PostgreSQL server named by a `postgres://` URL (a team across machines).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isPostgresUrl } from '../pg/url.js';

export const DB_ENV = 'MAESTRO_DB';
/** Where configuration, logs and transcripts go when the database is a URL (a file has them beside it). */
export const DATA_DIR_ENV = 'MAESTRO_DATA_DIR';
export const DATA_DIR_NAME = '.maestro';
export const DB_FILE_NAME = 'maestro.db';

/**
 * The git top-level containing `dir`, found by looking for `.git` (a directory, or a file in a
 * linked worktree) on the way up — the answer `git rev-parse --show-toplevel` gives, without
 * paying for a git process on every CLI start.
 */
export function findGitTopLevel(dir: string): string | null {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(current, '.git'))) return current;
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

export function projectRoot(cwd: string = process.cwd()): string {
  return findGitTopLevel(cwd) ?? path.resolve(cwd);
}

export interface DbLocation {
  /** The database: a SQLite file's absolute path, or a postgres:// URL as given. */
  file: string;
  /** How it was chosen, for `--help`, doctor and error messages. */
  source: 'option' | 'env' | 'config' | 'project';
  /**
   * The project's data directory (configuration, logs, transcripts): the file's directory, or for
   * a URL $MAESTRO_DATA_DIR, else `<project root>/.maestro`.
   */
  dataDir: string;
}

export function resolveDbPath(
  options: { db?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): DbLocation {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const projectData = () =>
    env[DATA_DIR_ENV] ? path.resolve(cwd, env[DATA_DIR_ENV]) : path.join(projectRoot(cwd), DATA_DIR_NAME);
  const at = (db: string, source: DbLocation['source'], base: string): DbLocation => {
    if (isPostgresUrl(db)) return { file: db, source, dataDir: projectData() };
    const file = path.resolve(base, db);
    return { file, source, dataDir: path.dirname(file) };
  };
  if (options.db) return at(options.db, 'option', cwd);
  const fromEnv = env[DB_ENV];
  if (fromEnv) return at(fromEnv, 'env', cwd);
  const dataDir = projectData();
  const configured = configuredDatabase(
    env.MAESTRO_CONFIG ? path.resolve(cwd, env.MAESTRO_CONFIG) : path.join(dataDir, 'config.json'),
  );
  if (configured) return at(configured, 'config', path.dirname(dataDir));
  return { file: path.join(dataDir, DB_FILE_NAME), source: 'project', dataDir };
}

/**
 * `"database"` of the configuration file, if it names one. A file that cannot be read or parsed
 * names none here: loading the configuration reports what is wrong with it (agents/config.ts).
 */
function configuredDatabase(file: string): string | null {
  if (!existsSync(file)) return null;
  try {
    const database = (JSON.parse(readFileSync(file, 'utf8')) as { database?: unknown }).database;
    return typeof database === 'string' && database.length > 0 ? database : null;
  } catch {
    return null;
  }
}
