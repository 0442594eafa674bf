/**
 * What a CLI command works against: the project's database (the same file the project's MCP
 * server uses), its stores, and who is typing — a person, or, when the command runs inside a
 * worker's process tree, that agent (agents/identity.ts). Only commands that add messages create a
 * database; every other one, finding none, says so (exit 1) and leaves the project untouched.
 */
import { resolveCaller } from '../agents/identity.js';
import { createWaker, type Waker } from '../agents/waker.js';
import { createAgentStore, type AgentStore } from '../bus/agent-store.js';
import { openDatabase, type Db } from '../bus/db.js';
import { createMessageStore, type MessageStore } from '../bus/message-store.js';
import { resolveDbPath } from '../bus/paths.js';
import { SHELL_USER, type Caller } from '../ops/caller.js';

export interface StoreHandle {
  store: MessageStore;
  agents: AgentStore;
  caller: Caller;
  file: string;
  /** Wakes a follower at every change of the database, from any process. */
  changes: Waker;
  close(): void;
}

export function openStore(options: { db?: string | undefined; create: boolean }): StoreHandle {
  const location = resolveDbPath({ db: options.db });
  const db: Db = openDatabase(location.file, { create: options.create });
  try {
    const agents = createAgentStore(db);
    const changes = createWaker(db);
    return {
      store: createMessageStore(db),
      agents,
      caller: resolveCaller(process.env, agents, SHELL_USER),
      file: location.file,
      changes,
      close: () => {
        changes.close();
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
