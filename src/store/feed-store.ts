/**
 * The event feed as every engine must provide it (shapes in feed-events.ts): one ordered sequence
 * of every change of state, each event written in the transaction of its change, with a place
 * that only grows and in commit order — a reader asking for what came after its cursor never
 * misses an event and never sees one twice. Reading takes nothing: any number of readers follow
 * it, each by its own cursor.
 */
import type { FeedEvent, FeedFilter, FeedPage } from './feed-events.js';

export interface FeedStore {
  /** The oldest `limit` matching events after `filter.since`. */
  read(filter: FeedFilter): Promise<FeedPage>;
  /** The newest `count` matching events, oldest first. */
  latest(filter: Omit<FeedFilter, 'since' | 'limit'>, count: number): Promise<FeedEvent[]>;
  /** The last place in the feed assigned so far (0 when nothing has happened yet). */
  head(): Promise<number>;
}
