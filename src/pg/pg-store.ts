/**
 * The PostgreSQL Store (store/store.ts): the tables of this directory behind the async seam, on a
 * pg connection pool, for teams whose servers and hosts run on several machines.
 *
 * Invariants:
 * - Every write is one transaction on a connection of its own (a unit of work: all its calls on one).
 *   A write begins by locking the feed's counter row (`feed_head`): writes from every machine run
 *   one at a time, in the order of the feed places they take, so what SQLite's single writer
 *   guarantees holds here — per-session ids with no gap, a mailbox or a piece of news taken once, a
 *   check-then-write (an open-agent limit, a compare-and-swap) never raced. One lock, always taken
 *   first: no deadlock. The commonest write, a log, is one statement that takes the lock itself
 *   (SELF_LOCKING), so it runs outside a transaction block and holds the lock for no round trip.
 * - A read sees one snapshot, in which the feed is a prefix. It is first tried as a single
 *   statement outside a transaction block (one round trip, its own snapshot); a read that turns out
 *   to need a second statement is run again, whole, in one REPEATABLE READ transaction, and from
 *   then on starts there. Reads change nothing, so running one again is safe.
 * - Inside a unit of work, calls run one at a time on its connection; a call that fails fails the
 *   unit, which then commits nothing.
 * - `changes` fires after every committed call that changed something, and when another process
 *   commits: each write ends with a NOTIFY carrying this store's instance id, and a connection of
 *   its own LISTENs (pg delivers notifications at commit, never for a rollback). That listening
 *   connection is opened when the first listener arrives and reopened when it is lost (a notice is
 *   given then: something may have been missed); no polling anywhere.
 * - The server away: each call fails within the bounds of connection.ts with an error that says so;
 *   nothing was acknowledged that did not commit, and the pool connects again when it is back.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MaestroError } from '../errors.js';
import type { AgentStore } from '../store/agent-store.js';
import type { BudgetStore } from '../store/budget-store.js';
import type { ControlStore } from '../store/control-store.js';
import type { FeedStore } from '../store/feed-store.js';
import { createLock } from '../store/lock.js';
import type { MessageStore } from '../store/message-store.js';
import { createNotifier } from '../store/notifier.js';
import type { SteeringStore } from '../store/steering-store.js';
import type { Store, Stores } from '../store/store.js';
import { STORE_WRITES } from '../store/writes.js';
import { createPgAgentTables } from './agent-store.js';
import { createPgBudgetTables } from './budget-store.js';
import { createPgHostTables } from './host-store.js';
import type { HostStore } from '../store/host-store.js';
import { clientConfig, isUnreachable, pgFailure, poolConfig, shownUrl } from './connection.js';
import { createPgControlTables } from './control-store.js';
import { createPgFeed } from './feed.js';
import { createPgMessageTables } from './message-store.js';
import { migrate, type PgOpenOptions } from './migrate.js';
import { sqlOn, type Sql } from './sql.js';
import { createPgSteeringTables } from './steering-store.js';

export type { PgOpenOptions };

export interface PgStore extends Store {
  /** The database's URL with its password masked, for messages that name it. */
  readonly location: string;
}

/** The channel every maestro store on the database notifies and listens on. */
const CHANNEL = 'maestro_changes';
const BEGIN_WRITE = 'BEGIN; SELECT seq FROM feed_head FOR UPDATE';
const BEGIN_READ = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';
/**
 * Writes that touch neither the feed nor what its lock guards (a heartbeat, a claim with SKIP
 * LOCKED, a finished read's row dropped by its asker): their own transaction without the write
 * lock, so hosts never queue behind the team.
 */
const LOCK_FREE: ReadonlySet<string> = new Set(['heartbeat', 'claimSpawn', 'discard']);
const BEGIN_UNLOCKED = 'BEGIN';
/**
 * Writes that are one statement calling a function that takes the write lock and notifies by
 * itself (migrations.ts): run outside a transaction block, one round trip.
 */
const SELF_LOCKING: ReadonlySet<string> = new Set(['log', 'report']);
/** How long a lost listening connection waits before it is opened again. */
const RELISTEN_MS = 500;

type AnyFn = (sql: Sql, ...args: never[]) => Promise<unknown>;

interface Unit {
  open: boolean;
  changed: boolean;
  failed: unknown;
}

/** Opens the database at `url` (creating maestro's tables if it has none, see migrate.ts) as a Store. */
export async function openPgStore(url: string, options: PgOpenOptions = {}): Promise<PgStore> {
  const shown = shownUrl(url);
  const instance = randomUUID();
  const pool = new pg.Pool(poolConfig(url, instance));
  // An idle connection lost with the server: the pool drops it and makes a new one when asked.
  pool.on('error', () => undefined);
  // One lost while checked out emits 'error' too, besides failing what it runs (and anything asked
  // of it after): the failure is the caller's to hear, never an unhandled event that ends the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await migrate(pool, shown, options);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw pgFailure(shown, error);
  }
  const store = createPgStore(pool, url, shown, instance);
  try {
    await store.listening;
  } catch (error) {
    await store.close();
    throw pgFailure(shown, error);
  }
  return store;
}

function createPgStore(
  pool: pg.Pool,
  url: string,
  shown: string,
  instance: string,
): PgStore & { listening: Promise<void> } {
  const feed = createPgFeed();
  const messages = createPgMessageTables();
  const tables = {
    messages,
    agents: createPgAgentTables(feed),
    // Readers only: events are appended by the other tables, inside the changes they record.
    feed: { read: feed.read, latest: feed.latest, head: feed.head },
    control: createPgControlTables(feed),
    steering: createPgSteeringTables(messages),
    budgets: createPgBudgetTables(),
    hosts: createPgHostTables(),
  } as unknown as Record<keyof Stores, Record<string, AnyFn>>;
  const commitAndNotify = `NOTIFY ${CHANNEL}, '${instance}'; COMMIT`;
  let closed = false;
  const listener = listen(url, instance, () => changes.fire({ foreign: true }));
  const changes = createNotifier((listening) => listener.listen(listening));

  async function checkout(): Promise<pg.PoolClient> {
    if (closed) throw new MaestroError('storage', `the store of ${shown} is closed`);
    try {
      return await pool.connect();
    } catch (error) {
      throw pgFailure(shown, error);
    }
  }

  /**
   * Runs `work` on a connection of its own: as one transaction begun by `begin`, or with `begin`
   * null outside any transaction block (each statement its own; the caller allows just one).
   */
  async function run<T>(begin: string | null, work: (sql: Sql, unit: Unit) => Promise<T>): Promise<T> {
    const client = await checkout();
    const unit: Unit = { open: true, changed: false, failed: undefined };
    let lost: Error | undefined;
    try {
      if (begin !== null) await client.query(begin);
      let result: T;
      try {
        result = await work(sqlOn(client), unit);
        if (unit.failed !== undefined) throw unit.failed;
      } catch (error) {
        unit.open = false;
        if (begin !== null) await client.query('ROLLBACK').catch((failure: Error) => (lost = failure));
        throw error;
      }
      unit.open = false;
      if (begin !== null) await client.query(unit.changed ? commitAndNotify : 'COMMIT');
      if (unit.changed) changes.fire();
      return result;
    } catch (error) {
      if (error instanceof NeedsSnapshot) throw error;
      if (isUnreachable(error)) lost ??= error as Error;
      throw pgFailure(shown, error);
    } finally {
      client.release(lost);
    }
  }

  /** Reads known to need more than one statement: they begin in a snapshot. */
  const snapshotReads = new Set<string>();

  async function read(name: string, fn: AnyFn, args: never[]): Promise<unknown> {
    if (!snapshotReads.has(name)) {
      try {
        return await run(null, (sql) => fn(oneStatement(sql), ...args));
      } catch (error) {
        if (!(error instanceof NeedsSnapshot)) throw error;
        snapshotReads.add(name);
      }
    }
    return run(BEGIN_READ, (sql) => fn(sql, ...args));
  }

  async function write(name: string, fn: AnyFn, args: never[]): Promise<unknown> {
    const changed = STORE_WRITES[name]!;
    const selfLocking = SELF_LOCKING.has(name);
    const begin = selfLocking ? null : LOCK_FREE.has(name) ? BEGIN_UNLOCKED : BEGIN_WRITE;
    return run(begin, async (sql, unit) => {
      const result = await fn(selfLocking ? oneStatement(sql) : sql, ...args);
      if (changed(result)) unit.changed = true;
      return result;
    });
  }

  /** Each table function as a call that is its own transaction (or statement). */
  function direct<T>(fns: Record<string, AnyFn>): T {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(fns)) {
      out[name] =
        STORE_WRITES[name] === undefined
          ? (...args: never[]) => read(name, fn, args)
          : (...args: never[]) => write(name, fn, args);
    }
    return out as T;
  }

  /** Each table function as a call inside `unit`, one at a time on its connection. */
  function within<T>(unit: Unit, sql: Sql, lock: ReturnType<typeof createLock>, fns: Record<string, AnyFn>): T {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(fns)) {
      const changed = STORE_WRITES[name];
      out[name] = async (...args: never[]) => {
        if (!unit.open) {
          throw new MaestroError(
            'storage',
            `store call ${name} was made through a unit of work that has already ended`,
          );
        }
        if (!lock.tryAcquire()) await lock.acquire();
        try {
          const result = await fn(sql, ...args);
          if (changed?.(result)) unit.changed = true;
          return result;
        } catch (error) {
          unit.failed ??= error;
          throw error;
        } finally {
          lock.release();
        }
      };
    }
    return out as T;
  }

  const transaction = <T>(work: (tx: Stores) => Promise<T>): Promise<T> =>
    run(BEGIN_WRITE, (sql, unit) => {
      const lock = createLock();
      const tx: Stores = {
        messages: within<MessageStore>(unit, sql, lock, tables.messages),
        agents: within<AgentStore>(unit, sql, lock, tables.agents),
        feed: within<FeedStore>(unit, sql, lock, tables.feed),
        control: within<ControlStore>(unit, sql, lock, tables.control),
        steering: within<SteeringStore>(unit, sql, lock, tables.steering),
        budgets: within<BudgetStore>(unit, sql, lock, tables.budgets),
        hosts: within<HostStore>(unit, sql, lock, tables.hosts),
        transaction: (inner) => inner(tx),
      };
      return work(tx);
    });

  return {
    location: shown,
    listening: listener.ready,
    messages: direct<MessageStore>(tables.messages),
    agents: direct<AgentStore>(tables.agents),
    feed: direct<FeedStore>(tables.feed),
    control: direct<ControlStore>(tables.control),
    steering: direct<SteeringStore>(tables.steering),
    budgets: direct<BudgetStore>(tables.budgets),
    hosts: direct<HostStore>(tables.hosts),
    transaction,
    changes,
    async close() {
      if (closed) return;
      closed = true;
      changes.close();
      await listener.close();
      await pool.end(); // waits for the calls still running to give their connections back
    },
  };
}

/** A single-statement call's second statement: the call is made again, in a transaction. */
class NeedsSnapshot extends Error {}

/** `sql` for a call allowed one statement; a second throws NeedsSnapshot before it is sent. */
function oneStatement(sql: Sql): Sql {
  let sent = 0;
  const guard = () => {
    if (++sent > 1) throw new NeedsSnapshot('a second statement outside a transaction');
  };
  return {
    rows: (text, params) => (guard(), sql.rows(text, params)),
    one: (text, params) => (guard(), sql.one(text, params)),
    run: (text, params) => (guard(), sql.run(text, params)),
  };
}

interface Listener {
  /** Resolves once the first LISTEN has taken hold (rejects if it cannot be opened). */
  ready: Promise<void>;
  listen(on: boolean): void;
  close(): Promise<void>;
}

/**
 * A connection of its own that LISTENs for other stores' commits, from the store's opening to its
 * close. A commit heard while nobody listened here is told to the next listener (a follower
 * between two reads must not miss it), and so is a lost connection: it is opened again, and what
 * was committed meanwhile was not heard.
 */
function listen(url: string, instance: string, onForeign: () => void): Listener {
  let client: pg.Client | null = null;
  let listening = false;
  let missed = false;
  let retry: NodeJS.Timeout | null = null;
  let ended = false;

  const tell = () => {
    if (listening) {
      missed = false;
      onForeign();
    } else missed = true;
  };
  const open = (): Promise<void> => {
    const connection = new pg.Client(clientConfig(url));
    client = connection;
    const lost = () => {
      if (client !== connection) return;
      client = null;
      connection.end().catch(() => undefined);
      if (ended || retry) return;
      retry = setTimeout(() => {
        retry = null;
        if (!ended) open().then(tell, () => undefined);
      }, RELISTEN_MS);
      retry.unref();
    };
    connection.on('error', lost);
    connection.on('end', lost);
    connection.on('notification', (n) => {
      if (n.payload !== instance) tell();
    });
    return connection
      .connect()
      .then(() => connection.query(`LISTEN ${CHANNEL}`))
      .then(
        () => undefined,
        (error: unknown) => {
          lost();
          throw error;
        },
      );
  };
  return {
    ready: open(),
    listen(on) {
      listening = on;
      if (on && missed) tell();
    },
    async close() {
      ended = true;
      if (retry) clearTimeout(retry);
      const connection = client;
      client = null;
      await connection?.end().catch(() => undefined);
    },
  };
}
