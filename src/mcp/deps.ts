/** What every tool handler is given: built once per server process and passed in, never global. */
import type { MessageStore } from '../store/message-store.js';
import type { Logger } from '../log.js';
import type { AgentDeps } from '../ops/agents/deps.js';
import type { Caller } from '../ops/caller.js';
import type { Connection } from './connection.js';

export interface ToolDeps {
  bus: MessageStore;
  /** Who this server acts for: the coordinator, or the worker agent it was started for. */
  caller: Caller;
  logger: Logger;
  agents: AgentDeps;
  /** The MCP client on the other end: who it is, how long it lets a call run. */
  connection: Connection;
  /** The database file, named in storage errors. */
  dbFile: string;
}

/** What a runtime builds for a process; each connection adds its own `connection`. */
export type RuntimeDeps = Omit<ToolDeps, 'connection'>;
