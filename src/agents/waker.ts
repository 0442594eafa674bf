/**
 * Wakes whoever waits for the database to change: a `wait_agent` looking for news, the
 * supervisor looking for mail to hand to a running worker, a follower of the feed. Other
 * processes' commits are seen through `PRAGMA data_version`. While the database is busy it is
 * looked at every `pollMs`; once a look finds nothing new, the write-ahead log is watched instead
 * (inotify: nothing runs while nothing is written) and the first change on disk brings the looks
 * back — so an idle follower costs nothing and a busy one at most a look per `pollMs`. Where the
 * log cannot be watched, it is looked at every `pollMs` throughout. All of it only while someone
 * is listening. This process's own writes call `notify()`, because data_version does not change
 * for the connection that wrote.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Db } from '../bus/db.js';

export const POLL_MS = 5;
/** While watching, the database is still looked at this often, in case a change notice is missed. */
const SAFETY_MS = 1000;

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
  // Prepared once: a pragma compiled at every look costs more than the look itself.
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  let version = dataVersion.get()!;
  let watchable = !db.memory && db.name !== '';
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let mode: 'off' | 'polling' | 'watching' = 'off';

  const fire = () => {
    for (const listener of [...listeners]) listener();
  };
  /** Whether the database changed since the last look (and wakes everyone if so). */
  const look = (): boolean => {
    let current: number;
    try {
      current = dataVersion.get()!;
    } catch {
      return false; // the database is closing
    }
    if (current === version) return false;
    version = current;
    fire();
    return true;
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
    watcher?.close();
    watcher = null;
    mode = 'off';
  };
  const poll = () => {
    stop();
    mode = 'polling';
    timer = setInterval(() => {
      if (!look() && watchable && listeners.size > 0) watchLog();
    }, pollMs);
  };
  const watchLog = () => {
    stop();
    try {
      watcher = watch(`${db.name}-wal`, { persistent: false }, () => {
        if (mode !== 'watching') return;
        poll();
        look();
      });
      watcher.on('error', () => {
        watchable = false;
        if (listeners.size > 0) poll();
      });
    } catch {
      watchable = false;
      poll();
      return;
    }
    mode = 'watching';
    timer = setInterval(() => {
      if (look()) poll();
    }, SAFETY_MS);
    timer.unref();
    // What changed before the watch began.
    if (look()) poll();
  };
  const sync = () => {
    if (listeners.size > 0 && mode === 'off') poll();
    if (listeners.size === 0 && mode !== 'off') stop();
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
      stop();
    },
  };
}
