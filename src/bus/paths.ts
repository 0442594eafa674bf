/**
 * Where a project's database lives. Every process in a project — the coordinator's server,
 * each worker's server, a person's shell — must arrive at the same file, so the rule is
 * deliberately simple: `MAESTRO_DB` (or `--db`) if given, else `<project root>/.maestro/maestro.db`,
 * where the project root is the git top-level of the working directory, or the directory itself.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const DB_ENV = 'MAESTRO_DB';
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
  /** Absolute path of the database file. */
  file: string;
  /** How it was chosen, for `--help`, doctor and error messages. */
  source: 'option' | 'env' | 'project';
}

export function resolveDbPath(
  options: { db?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): DbLocation {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (options.db) return { file: path.resolve(cwd, options.db), source: 'option' };
  const fromEnv = env[DB_ENV];
  if (fromEnv) return { file: path.resolve(cwd, fromEnv), source: 'env' };
  return { file: path.join(projectRoot(cwd), DATA_DIR_NAME, DB_FILE_NAME), source: 'project' };
}
