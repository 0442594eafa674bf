/** What every tool handler is given: built once per server process and passed in, never global. */
import type { MessageStore } from '../bus/message-store.js';
import type { Logger } from '../log.js';
import type { AgentDeps } from '../ops/agents/deps.js';
import type { Caller } from '../ops/caller.js';

export interface ToolDeps {
  bus: MessageStore;
  /** Who this server acts for: the coordinator, or the worker agent it was started for. */
  caller: Caller;
  logger: Logger;
  agents: AgentDeps;
  /** The database file, named in storage errors. */
  dbFile: string;
}
