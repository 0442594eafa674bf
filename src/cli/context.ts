/**
 * What a CLI command works against: the project's database (the same file the project's MCP
 * server uses) and its message store. Reading commands never create a database: with none
 * there yet they see an empty bus.
 */
import { existsSync } from 'node:fs';
import { openDatabase, type Db } from '../bus/db.js';
import { createMessageStore, type MessageStore } from '../bus/message-store.js';
import { resolveDbPath } from '../bus/paths.js';

export interface StoreHandle {
  store: MessageStore;
  file: string;
  close(): void;
}

export function openStore(options: { db?: string | undefined; write: boolean }): StoreHandle {
  const location = resolveDbPath({ db: options.db });
  let db: Db;
  if (!options.write && !existsSync(location.file)) {
    db = openDatabase(':memory:');
  } else {
    db = openDatabase(location.file);
  }
  return { store: createMessageStore(db), file: location.file, close: () => db.close() };
}
