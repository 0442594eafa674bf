/**
 * Waiting for SQLite's write lock. SQLite's own busy handler (what `busy_timeout` installs)
 * sleeps 1, 2, 5, 10, … up to 100 ms between tries, so under contention a writer that has lost
 * a few times sleeps long while newcomers take the lock: with 8 writers one write waited ~1 s.
 * `createWriteRetry(db)` is the fair replacement for hot write paths: the connection's busy
 * timeout is off during the attempt and BEGIN IMMEDIATE is retried after short jittered pauses
 * that stop growing at 5 ms (0.5, 1, 2, 4, 5, 5, … ms, each x 0.5-1.5), so no waiter sleeps
 * through dozens of commits while newcomers take the lock, until the same overall deadline as
 * the busy timeout. The cap is not lower because waiters that poll often take CPU from the
 * lock holder on a busy machine (measured: 2 ms cost throughput at 8 writers on 2 cores). A failed try never leaves a partial transaction (better-sqlite3
 * rolls back), so a retried write commits exactly once.
 *
 * `busyRetry` is the second line of defence for writes that keep SQLite's handler: the rare
 * SQLITE_BUSY that escapes it under heavy load becomes a slow write, not "database is locked".
 */
import { MaestroError } from '../errors.js';
import { BUSY_TIMEOUT_MS, type Db } from './db.js';

const ATTEMPTS = 5;
/** The longest pause between two tries of the fair retrier. */
const MAX_PAUSE_MS = 5;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks this thread for `ms` (fractions allowed). It blocks the event loop, exactly as SQLite's
 * own busy handler does (better-sqlite3 is synchronous): the pauses here are a millisecond.
 */
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function busyRetry<T>(write: () => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (attempt >= ATTEMPTS) {
        throw new MaestroError('storage', `the database stayed busy through ${ATTEMPTS} attempts; try again`, {
          cause: error,
        });
      }
      pause(20 * attempt + Math.random() * 30);
    }
  }
}

export type WriteRetry = <T>(write: () => T) => T;

/**
 * A retrier for `write` (one `….immediate()` transaction) on `db`: fair short pauses instead of
 * SQLite's growing sleeps, for at most `timeoutMs` in all.
 */
export function createWriteRetry(db: Db, timeoutMs = BUSY_TIMEOUT_MS): WriteRetry {
  // Set on every write, never through a prepared statement: SQLite applies this pragma when the
  // statement is compiled, so re-running a prepared one does not reliably set it again. Other
  // statements on this connection keep the timeout it was opened with.
  const opened = Math.trunc(db.pragma('busy_timeout', { simple: true }) as number);
  return <T>(write: () => T): T => {
    db.pragma('busy_timeout = 0');
    try {
      let deadline = 0;
      for (let attempt = 0; ; attempt++) {
        try {
          return write();
        } catch (error) {
          if (!isBusy(error)) throw error;
          const now = performance.now();
          if (deadline === 0) deadline = now + timeoutMs;
          else if (now >= deadline) {
            throw new MaestroError(
              'storage',
              `the database stayed locked by other writers for ${timeoutMs / 1000} s; try again`,
              { cause: error },
            );
          }
          pause(Math.min(MAX_PAUSE_MS, 0.5 * 2 ** attempt) * (0.5 + Math.random()));
        }
      }
    } finally {
      db.pragma(`busy_timeout = ${opened}`);
    }
  };
}
