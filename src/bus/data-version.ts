/**
 * Seeing other processes' commits: SQLite's `PRAGMA data_version` changes on a connection when
 * another connection commits (never for its own writes, which the store reports itself). Only
 * while someone listens. While the database is busy it is looked at every `pollMs`; once the
 * looks have found nothing new for a while (QUIET_LOOKS), the write-ahead log is watched instead
 * (inotify: nothing runs while nothing is written) and the first change on disk brings the looks
 * back — an idle follower costs
 * nothing, a busy one at most a look per `pollMs`. A watched database is still looked at once a
 * second in case a change notice is missed; where the log cannot be watched, it is polled.
 *
 * A follower listens from one read to the next: it leaves after each wake and comes back when it
 * has read. So the timer and the watch outlive the last listener by LINGER_MS, looking at nothing
 * meanwhile (a change nobody heard of must still be news to the next listener), and a listener
 * that comes back is given a look at once: a follower wakes without a new timer or inotify watch
 * for every wake.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Db } from './db.js';

export const POLL_MS = 5;
const SAFETY_MS = 1000;
const LINGER_MS = 1000;
/** Empty looks in a row before the log is watched again: writes come in bursts, and a new watch costs more than a look. */
const QUIET_LOOKS = 40;

export interface DataVersionWatch {
  /** What the notifier calls when its first listener arrives and its last leaves. */
  listen(on: boolean): void;
  /** Stops at once, before the connection closes. */
  close(): void;
}

export function watchDataVersion(db: Db, onChange: () => void, pollMs = POLL_MS): DataVersionWatch {
  const version = db.prepare('PRAGMA data_version').pluck();
  // Kept while nobody listens: a commit made just before someone subscribes still wakes them.
  let seen = version.get() as number;
  let watchable = !db.memory && db.name !== '';
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let mode: 'off' | 'polling' | 'watching' = 'off';
  let listening = false;
  let linger: NodeJS.Timeout | null = null;

  /** Whether the database changed since the last look (and says so if it did); only while someone listens. */
  const look = (): boolean => {
    if (!listening) return false;
    let current: number;
    try {
      current = version.get() as number;
    } catch {
      return false; // the database is closing
    }
    if (current === seen) return false;
    seen = current;
    onChange();
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
    let quiet = 0;
    timer = setInterval(() => {
      if (look()) quiet = 0;
      else if (++quiet >= QUIET_LOOKS && watchable && mode === 'polling') watchLog();
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
        if (mode !== 'off') poll();
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
    if (look()) poll(); // what changed before the watch began
  };
  const endLinger = () => {
    if (linger) clearTimeout(linger);
    linger = null;
  };
  return {
    listen(on) {
      listening = on;
      endLinger();
      if (on) {
        if (mode === 'off') poll();
        else if (look() && mode === 'watching') poll();
      } else if (mode !== 'off') {
        linger = setTimeout(stop, LINGER_MS);
        linger.unref();
      }
    },
    close() {
      listening = false;
      endLinger();
      stop();
    },
  };
}
