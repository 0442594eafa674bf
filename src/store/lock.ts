/**
 * A first-come first-served async lock. `tryAcquire` is the fast path (no promise when free);
 * `acquire` waits its turn. Whoever holds it must `release` exactly once.
 */
export interface Lock {
  tryAcquire(): boolean;
  acquire(): Promise<void>;
  release(): void;
}

export function createLock(): Lock {
  let held = false;
  const waiting: (() => void)[] = [];
  return {
    tryAcquire() {
      if (held) return false;
      held = true;
      return true;
    },
    acquire() {
      if (!held) {
        held = true;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next)
        next(); // handed over: stays held
      else held = false;
    },
  };
}
