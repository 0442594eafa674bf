/**
 * The store seam: everything above it (ops, tools, the supervisor, the CLI) works through these
 * interfaces and never knows which database engine is underneath (src/bus/sqlite-store.ts is
 * the SQLite one).
 *
 * Invariants every implementation keeps:
 * - A call made directly on a Store runs in its own transaction.
 * - `transaction(work)`: every call made through `tx` commits together or not at all; a thrown
 *   error rolls all of them back and is rethrown. `tx.transaction` joins the open unit. A unit
 *   of work holds the database's write lock while it runs, so `work` must await only calls on
 *   `tx` — never a timer, a process, the network, and never the Store itself (an engine may
 *   serialise its connection, and such a call would wait for the unit that waits for it).
 * - `changes` fires after every committed write made through this Store, and after writes by
 *   other processes, so nobody has to tell it that something changed.
 */
import type { AgentStore } from './agent-store.js';
import type { ControlStore } from './control-store.js';
import type { FeedStore } from './feed-store.js';
import type { MessageStore } from './message-store.js';
import type { SteeringStore } from './steering-store.js';
import type { BudgetStore } from './budget-store.js';
import type { HostStore } from './host-store.js';

/** The stores, and how to make several calls on them one unit of work. */
export interface Stores {
  messages: MessageStore;
  agents: AgentStore;
  feed: FeedStore;
  control: ControlStore;
  steering: SteeringStore;
  budgets: BudgetStore;
  hosts: HostStore;
  /**
   * Runs `work` as one unit of work. Called on a unit's own `tx`, it joins that unit (so code
   * written against `Stores` composes whether it is given the Store or a `tx`).
   */
  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T>;
}

/** What a change notice says: whether another process (another connection) made the change. */
export interface Change {
  foreign: boolean;
}

/** Wakes whoever follows the database: after local commits and other processes' commits. */
export interface Notifier {
  /**
   * Calls `listener` at every change until the returned function is called. Changes close
   * together may come as one notice, foreign when any of them was.
   */
  subscribe(listener: (change: Change) => void): () => void;
  /** Resolves at the next change, after `ms`, or as soon as `signal` aborts (at once if it already has). */
  next(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Store extends Stores {
  changes: Notifier;
  close(): Promise<void>;
}
