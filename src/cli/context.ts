/**
 * What a CLI command works against: the project's database (the same file the project's MCP
 * server uses), its stores, and who is typing — a person, or, when the command runs inside a
 * worker's process tree, that agent (agents/identity.ts). Only commands that add messages create a
 * database; every other one, finding none, says so (exit 1) and leaves the project untouched.
 */
import { resolveCaller } from '../agents/identity.js';
import { resolveDbPath } from '../bus/paths.js';
import { openStore as openAnyStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { SHELL_USER, type Caller } from '../ops/caller.js';
import { sessionIdField } from '../ops/fields.js';
import { UsageError, str, type Parsed } from './args.js';

export interface StoreHandle {
  store: Store;
  caller: Caller;
  file: string;
  close(): Promise<void>;
}

export async function openStore(options: { db?: string | undefined; create: boolean }): Promise<StoreHandle> {
  const location = resolveDbPath({ db: options.db });
  const store = await openAnyStore(location.file, { create: options.create });
  try {
    return {
      store,
      caller: await resolveCaller(process.env, store.agents, SHELL_USER),
      file: location.file,
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The team a command acts on: -s, else $MAESTRO_SESSION; a missing or malformed one is a usage error. */
export function teamSession(cmd: string, parsed: Parsed): string {
  const session = str(parsed, 'session') ?? process.env.MAESTRO_SESSION;
  if (!session) throw new UsageError(`${cmd}: say which team with -s <session> (or set MAESTRO_SESSION)`);
  const checked = sessionIdField.safeParse(session);
  if (!checked.success) throw new UsageError(`${cmd}: --session ${checked.error.issues[0]!.message}`);
  return session;
}
