/**
 * The busy timeout makes a writer wait for the lock; this is the second line of defence for
 * the rare SQLITE_BUSY that still escapes (a lock held past the timeout under heavy load), so
 * callers see a slow write rather than "database is locked". The pause between attempts is an
 * async sleep: the rest of the process (other requests, worker events) keeps running.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MaestroError } from '../errors.js';

const ATTEMPTS = 5;

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Runs `write` (synchronous: one statement or one whole transaction) until it is not refused as busy. */
export async function busyRetry<T>(write: () => T): Promise<T> {
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
      await sleep(20 * attempt + Math.random() * 30);
    }
  }
}
