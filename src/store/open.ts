/**
 * Opening a project's store, whichever engine keeps it: a `postgres://` (or `postgresql://`) URL
 * opens the PostgreSQL store (src/pg/), anything else is the path of a SQLite database file (the
 * default, src/bus/). Everything above the seam opens its store here and never names an engine.
 */
import { openSqliteStore, type OpenOptions } from '../bus/sqlite-store.js';
import { isPostgresUrl } from '../pg/url.js';
import type { Store } from './store.js';

export type { OpenOptions };

export async function openStore(location: string, options: OpenOptions = {}): Promise<Store> {
  if (isPostgresUrl(location)) {
    const { openPgStore } = await import('../pg/pg-store.js');
    return openPgStore(location, { create: options.create !== false && options.readonly !== true });
  }
  return openSqliteStore(location, options);
}
