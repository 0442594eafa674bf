/**
 * Wakes whoever waits for the database to change: a `wait_agent` looking for news, the
 * supervisor looking for mail to hand to a running worker. Other processes' commits are seen
 * through `PRAGMA data_version` (polled only while someone is listening); this process's own
 * writes call `notify()`, because data_version does not change for the connection that wrote.
 */
import type { Db } from '../bus/db.js';

export const POLL_MS = 5;

export interface Waker {
  notify(): void;
  /** Resolves at the next change, after `ms`, or as soon as `signal` aborts (at once if it already has). */
  next(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `listener` at every change until the returned function is called. */
  subscribe(listener: () => void): () => void;
  close(): void;
}

export function createWaker(db: Db, pollMs = POLL_MS): Waker {
  const listeners = new Set<() => void>();
  let version = db.pragma('data_version', { simple: true }) as number;
  let timer: NodeJS.Timeout | null = null;

  const fire = () => {
    for (const listener of [...listeners]) listener();
  };
  const poll = () => {
    let current: number;
    try {
      current = db.pragma('data_version', { simple: true }) as number;
    } catch {
      return; // the database is closing
    }
    if (current !== version) {
      version = current;
      fire();
    }
  };
  const sync = () => {
    if (listeners.size > 0 && !timer) timer = setInterval(poll, pollMs);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
  const subscribe = (listener: () => void) => {
    listeners.add(listener);
    sync();
    return () => {
      listeners.delete(listener);
      sync();
    };
  };

  return {
    notify: () => queueMicrotask(fire),
    next: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timeout);
          unsubscribe();
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timeout = setTimeout(done, ms);
        const unsubscribe = subscribe(done);
        signal?.addEventListener('abort', done, { once: true });
      }),
    subscribe,
    close: () => {
      listeners.clear();
      sync();
    },
  };
}
