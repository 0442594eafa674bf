/**
 * The busy timeout makes a writer wait for the lock; this is the second line of defence for
 * the rare SQLITE_BUSY that still escapes (a lock held past the timeout under heavy load), so
 * callers see a slow write rather than "database is locked".
 */
import { MaestroError } from '../errors.js';

const ATTEMPTS = 5;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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
