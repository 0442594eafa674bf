/**
 * The engine-neutral half of a Notifier: listeners, `next`, and firing. An engine tells it when
 * the first listener arrives and the last one leaves (to watch other processes only while
 * someone listens) and calls `fire` after its own commits and when it sees a foreign one.
 */
import type { Change, Notifier } from './store.js';

export interface FiringNotifier extends Notifier {
  /** Wakes every listener soon (in a microtask: never inside the write that caused it). */
  fire(change?: Change): void;
  /** Drops every listener. */
  close(): void;
}

export function createNotifier(watch: (listening: boolean) => void = () => undefined): FiringNotifier {
  const listeners = new Set<(change: Change) => void>();
  let scheduled: Change | null = null;
  const run = () => {
    const change = scheduled!;
    scheduled = null;
    for (const listener of [...listeners]) listener(change);
  };
  const subscribe = (listener: (change: Change) => void) => {
    listeners.add(listener);
    if (listeners.size === 1) watch(true);
    return () => {
      if (listeners.delete(listener) && listeners.size === 0) watch(false);
    };
  };
  return {
    subscribe,
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
    fire: (change = { foreign: false }) => {
      if (listeners.size === 0) return;
      // Many commits in one tick wake each listener once.
      if (scheduled) {
        if (change.foreign) scheduled = { foreign: true };
        return;
      }
      scheduled = change;
      queueMicrotask(run);
    },
    close: () => {
      const had = listeners.size > 0;
      listeners.clear();
      if (had) watch(false);
    },
  };
}
