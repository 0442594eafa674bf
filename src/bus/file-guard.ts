/**
 * A connection keeps writing to the file it opened even after that file is deleted (`rm -rf
 * .maestro`) or replaced: SQLite acknowledges every write, into an inode nobody can open again,
 * and the data is gone when the process exits. The guard remembers which file was opened
 * (device and inode) and refuses any write once the path no longer leads to it.
 *
 * The check is made by SQLite itself: temporary triggers (this connection only, never stored in
 * the file) on the tables every write touches call a function that stats the path — one stat per
 * row written (a few µs, against tens of µs for the write), none per read.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { MaestroError } from '../errors.js';

/** Each table and the changes to it that must not go to a lost file. */
const GUARDED: Record<string, readonly ('INSERT' | 'UPDATE' | 'DELETE')[]> = {
  messages: ['INSERT', 'DELETE'],
  role_state: ['INSERT', 'UPDATE'],
  mailbox_cursors: ['INSERT', 'UPDATE'],
  agents: ['INSERT', 'UPDATE'],
  agent_turns: ['INSERT', 'UPDATE'],
  events: ['INSERT'],
  news_cursors: ['INSERT', 'UPDATE'],
};

const FUNCTION = 'maestro_file_unchanged';

export function fileGoneError(file: string, what: 'deleted' | 'replaced'): MaestroError {
  return new MaestroError(
    'storage',
    `database ${file} was ${what} while this process had it open, so nothing it writes now could ever be read: ` +
      `writes are refused. Restart maestro (for an MCP server: restart or reconnect your client, e.g. /mcp in Claude Code); ` +
      `it opens ${what === 'deleted' ? 'a fresh database' : 'the database now at that path'}. Messages and agents recorded in the old file went with it.`,
  );
}

export function guardFile(db: Database.Database, file: string): void {
  const opened = statSync(file);
  let gone: MaestroError | null = null;
  db.function(FUNCTION, { deterministic: false, varargs: false }, () => {
    if (!gone) {
      const now = statSync(file, { throwIfNoEntry: false });
      if (!now) gone = fileGoneError(file, 'deleted');
      else if (now.ino !== opened.ino || now.dev !== opened.dev) gone = fileGoneError(file, 'replaced');
    }
    if (gone) throw gone; // once lost, always lost: a new file at the path is not this one
    return 1;
  });
  const tables = new Set(
    (db.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    ),
  );
  for (const [table, events] of Object.entries(GUARDED)) {
    if (!tables.has(table)) continue; // a schema without it (older or newer) still opens
    for (const event of events) {
      db.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS guard_${table}_${event.toLowerCase()} BEFORE ${event} ON main.${table}
         BEGIN SELECT ${FUNCTION}(); END`,
      );
    }
  }
}
