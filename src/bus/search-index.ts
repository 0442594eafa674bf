/**
 * The full-text index (FTS5) over message summaries and data, kept current lazily: writes do
 * not touch it; before each search, every message committed since the last indexed one is
 * added, in batches of one short write transaction each. The watermark only moves forward and
 * message row ids are never reused, so each message is indexed exactly once; deleting an
 * indexed message removes it from the index by trigger.
 */
import type { Db } from './db.js';

/** Messages indexed per transaction: keeps each write lock to a few tens of milliseconds. */
const BATCH = 2_000;

export interface SearchIndex {
  /** Indexes every message committed so far. */
  catchUp(): void;
}

export function createSearchIndex(db: Db): SearchIndex {
  const behind = db.prepare<[], { behind: number }>(
    `SELECT coalesce((SELECT max(row_id) FROM messages), 0) > indexed_through AS behind
       FROM search_index_state`,
  );
  const watermark = db.prepare<[], { through: number }>('SELECT indexed_through AS through FROM search_index_state');
  const batchEnd = db.prepare<[number, number], { last: number | null }>(
    'SELECT max(row_id) AS last FROM (SELECT row_id FROM messages WHERE row_id > ? ORDER BY row_id LIMIT ?)',
  );
  const index = db.prepare<[number, number]>(
    `INSERT INTO messages_fts (rowid, summary, data)
     SELECT row_id, summary, data FROM messages WHERE row_id > ? AND row_id <= ? ORDER BY row_id`,
  );
  const advance = db.prepare<[number]>('UPDATE search_index_state SET indexed_through = ?');

  // Re-reads the watermark under the write lock: another process may have indexed meanwhile.
  const indexBatch = db.transaction((): void => {
    const { through } = watermark.get()!;
    const last = batchEnd.get(through, BATCH)?.last;
    if (last === null || last === undefined) return;
    index.run(through, last);
    advance.run(last);
  });

  return {
    catchUp() {
      while (behind.get()!.behind) indexBatch.immediate();
    },
  };
}
