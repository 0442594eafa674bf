/**
 * Storage failures as users read them: the database file named, what is wrong with it, and how
 * to get going again. Every open and every SQLite error that reaches a person goes through here.
 */
import path from 'node:path';
import { MaestroError } from '../errors.js';

/** How to start afresh: the -wal and -shm files must go too, or a new database would replay them. */
export function recoveryHint(file: string): string {
  const name = path.basename(file);
  return (
    `To recover: stop maestro's servers (close the MCP client sessions using this project), move ${file} ` +
    `and any ${name}-wal and ${name}-shm beside it to another place (keep them if you want to inspect or salvage them), ` +
    `and start again: maestro creates a fresh, empty database there.`
  );
}

export function noDatabase(file: string): MaestroError {
  return new MaestroError(
    'not_found',
    `no maestro database at ${file} yet; it is created by the first write — the maestro MCP server your client starts, or 'maestro msg log'`,
  );
}

/** SQLite result codes that mean the file itself is the problem, not the request. */
const FILE_CODES = /^SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN|FULL|READONLY|PERM)/;

/** A SQLite error about the file, turned into a storage error naming it; anything else as it was. */
export function fromSqliteError(file: string, error: unknown): unknown {
  if (error instanceof MaestroError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !FILE_CODES.test(code)) return error;
  return storageError(file, 'failed', error);
}

export function storageError(file: string, doing: string, error: unknown): MaestroError {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as Error | null)?.message ?? String(error);
  const damaged = typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
  const full = code === 'SQLITE_FULL';
  const detail = `${message}${typeof code === 'string' ? ` (${code})` : ''}`;
  const advice = damaged
    ? recoveryHint(file)
    : full
      ? 'Free some disk space and try again; nothing was written.'
      : 'Check that the file and its directory exist and are readable and writable by you.';
  return new MaestroError('storage', `database ${file} ${damaged ? 'is damaged' : doing}: ${detail}. ${advice}`, {
    cause: error,
  });
}
