/**
 * Seeing other processes' commits: SQLite's `PRAGMA data_version` changes on a connection when
 * another connection commits (never for its own writes, which the store reports itself). Polled
 * only while someone listens, one timer per connection.
 */
import type { Db } from './db.js';

export const POLL_MS = 5;

/** Returns the switch the notifier calls when its first listener arrives and its last leaves. */
export function watchDataVersion(db: Db, onChange: () => void, pollMs = POLL_MS): (listening: boolean) => void {
  const version = db.prepare('PRAGMA data_version').pluck();
  let seen = version.get() as number;
  let timer: NodeJS.Timeout | null = null;
  const poll = () => {
    let current: number;
    try {
      current = version.get() as number;
    } catch {
      return; // the database is closing
    }
    if (current !== seen) {
      seen = current;
      onChange();
    }
  };
  return (listening) => {
    // `seen` is kept while nobody listens: a commit made just before someone subscribes still wakes them.
    if (listening && !timer) {
      timer = setInterval(poll, pollMs);
    } else if (!listening && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}
