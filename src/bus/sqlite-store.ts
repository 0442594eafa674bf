/**
 * The SQLite Store (store/store.ts): the synchronous better-sqlite3 tables (message-store.ts,
 * mailbox.ts, search-index.ts, agent-store.ts) behind the async seam, one connection per store.
 *
 * Invariants:
 * - One caller at a time on the connection. A unit of work is BEGIN IMMEDIATE … awaits …
 *   COMMIT on the shared connection: any other caller's statement run in between would silently
 *   join it (and see, or be rolled back with, its writes). So every call — read or write, direct
 *   or a whole unit of work — runs under a per-connection first-come first-served lock; when
 *   the lock is free a call takes it at once, with nothing queued.
 * - A unit of work holds SQLite's write lock for as long as it runs: it must await only calls
 *   on its `tx` (store.ts), never real I/O.
 * - A busy database: SQLite's busy_timeout waits first (db.ts); a SQLITE_BUSY that still escapes
 *   is retried after an async sleep (busy.ts) — a direct write as a whole, a unit of work at BEGIN.
 * - `changes` fires after every committed call that changed something, and when another
 *   process commits (data-version.ts, polled only while someone listens).
 */
import { MaestroError } from '../errors.js';
import type { AgentStore } from '../store/agent-store.js';
import type { MessageStore } from '../store/message-store.js';
import { createLock } from '../store/lock.js';
import { STORE_WRITES } from '../store/writes.js';
import { createNotifier } from '../store/notifier.js';
import type { Store, Stores } from '../store/store.js';
import type { FeedStore } from '../store/feed-store.js';
import { createAgentTables } from './agent-store.js';
import { createControlTables } from './control-store.js';
import type { ControlStore } from '../store/control-store.js';
import { createFeed } from './feed.js';
import { busyRetry, isBusy } from './busy.js';
import { watchDataVersion } from './data-version.js';
import { openDatabase, type Db, type OpenOptions } from './db.js';
import { createMessageTables } from './message-store.js';
import { createSteeringTables } from './steering-store.js';
import { createBudgetTables } from './budget-store.js';
import { createHostTables } from './host-store.js';
import type { HostStore } from '../store/host-store.js';
import type { BudgetStore } from '../store/budget-store.js';
import type { SteeringStore } from '../store/steering-store.js';

export type { OpenOptions };

export interface SqliteStore extends Store {
  /** The database file, for messages that name it. */
  readonly file: string;
}

type AnyFn = (...args: never[]) => unknown;

/** SQLite's writes: search brings the full-text index up to date first (a write, but news to nobody). */
const WRITES: Record<string, (result: unknown) => boolean> = { ...STORE_WRITES, search: () => false };

interface Unit {
  open: boolean;
  changed: boolean;
}

/** Opens (creating if needed, see db.ts) the database at `file` as a Store. */
export function openSqliteStore(file: string, options: OpenOptions = {}): SqliteStore {
  const db = openDatabase(file, options);
  try {
    return createSqliteStore(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
}

function createSqliteStore(db: Db, file: string): SqliteStore {
  const feed = createFeed(db);
  const messages = createMessageTables(db);
  const tables = {
    messages,
    agents: createAgentTables(db),
    // Readers only: events are appended by the other tables, inside the changes they record.
    feed: { read: feed.read, latest: feed.latest, head: feed.head },
    control: createControlTables(db, feed),
    steering: createSteeringTables(db, messages),
    budgets: createBudgetTables(db),
    hosts: createHostTables(db),
  };
  const lock = createLock();
  const changes = createNotifier((listening) => watch.listen(listening));
  const watch = watchDataVersion(db, () => changes.fire({ foreign: true }));
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

  /** Each method of `syncTables` as an async call that takes the connection for itself. */
  function direct<T extends object>(syncTables: Record<string, AnyFn>): T {
    const out: Record<string, AnyFn> = {};
    for (const [name, fn] of Object.entries(syncTables)) {
      const changed = WRITES[name];
      out[name] = (async (...args: never[]) => {
        if (!lock.tryAcquire()) await lock.acquire();
        let result: unknown;
        try {
          // Synchronous first: a write that is not refused as busy costs no extra turn of the event loop.
          try {
            result = fn(...args);
          } catch (error) {
            if (!changed || !isBusy(error)) throw error;
            result = await busyRetry(() => fn(...args));
          }
        } finally {
          lock.release();
        }
        if (changed?.(result)) changes.fire();
        return result;
      }) as AnyFn;
    }
    return out as T;
  }

  /** Each method of `syncTables` as a call inside `unit` (which holds the lock). */
  function within<T extends object>(unit: Unit, syncTables: Record<string, AnyFn>): T {
    const out: Record<string, AnyFn> = {};
    for (const [name, fn] of Object.entries(syncTables)) {
      const changed = WRITES[name];
      out[name] = (async (...args: never[]) => {
        if (!unit.open) {
          throw new MaestroError(
            'storage',
            `store call ${name} was made through a unit of work that has already ended`,
          );
        }
        const result = fn(...args);
        if (changed?.(result)) unit.changed = true;
        return result;
      }) as AnyFn;
    }
    return out as T;
  }

  async function transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T> {
    if (!lock.tryAcquire()) await lock.acquire();
    const unit: Unit = { open: true, changed: false };
    const tx: Stores = {
      messages: within<MessageStore>(unit, tables.messages as unknown as Record<string, AnyFn>),
      agents: within<AgentStore>(unit, tables.agents as unknown as Record<string, AnyFn>),
      feed: within<FeedStore>(unit, tables.feed as unknown as Record<string, AnyFn>),
      control: within<ControlStore>(unit, tables.control as unknown as Record<string, AnyFn>),
      steering: within<SteeringStore>(unit, tables.steering as unknown as Record<string, AnyFn>),
      budgets: within<BudgetStore>(unit, tables.budgets as unknown as Record<string, AnyFn>),
      hosts: within<HostStore>(unit, tables.hosts as unknown as Record<string, AnyFn>),
      transaction: (inner) => inner(tx),
    };
    let result: T;
    try {
      await busyRetry(() => begin.run());
      try {
        result = await work(tx);
        commit.run();
      } catch (error) {
        if (db.inTransaction) rollback.run();
        throw error;
      }
    } finally {
      unit.open = false;
      lock.release();
    }
    if (unit.changed) changes.fire();
    return result;
  }

  return {
    file,
    messages: direct<MessageStore>(tables.messages as unknown as Record<string, AnyFn>),
    agents: direct<AgentStore>(tables.agents as unknown as Record<string, AnyFn>),
    feed: direct<FeedStore>(tables.feed as unknown as Record<string, AnyFn>),
    control: direct<ControlStore>(tables.control as unknown as Record<string, AnyFn>),
    steering: direct<SteeringStore>(tables.steering as unknown as Record<string, AnyFn>),
    budgets: direct<BudgetStore>(tables.budgets as unknown as Record<string, AnyFn>),
    hosts: direct<HostStore>(tables.hosts as unknown as Record<string, AnyFn>),
    transaction,
    changes,
    async close() {
      // Taking the lock first: a unit of work still open ends before the connection does.
      await lock.acquire();
      changes.close();
      watch.close();
      db.close();
      lock.release(); // later calls fail at once: the connection is closed
    },
  };
}
