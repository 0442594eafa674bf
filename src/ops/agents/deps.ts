/** What the agent operations work with, built once per server process and passed in. */
import type { AgentStore } from '../../store/agent-store.js';
import type { MessageStore } from '../../store/message-store.js';
import type { Store } from '../../store/store.js';
import type { ProjectConfig } from '../../agents/config.js';
import type { CurrentSession } from '../../agents/session.js';
import type { Supervisor } from '../../agents/supervisor.js';
import type { Logger } from '../../log.js';

export interface AgentDeps {
  /** For units of work and change notices; `agents` and `bus` are its stores. */
  store: Store;
  agents: AgentStore;
  bus: MessageStore;
  supervisor: Supervisor;
  config: ProjectConfig;
  logger: Logger;
  session: CurrentSession;
  /** The `.maestro` directory: agent files, worktrees. */
  dataDir: string;
  /** Starts looking for lost hosts (ops/hosts/lost.ts), once this process has placed agents on hosts. */
  watchHosts?: () => void;
}
