/** What the agent operations work with, built once per server process and passed in. */
import type { AgentStore } from '../../bus/agent-store.js';
import type { MessageStore } from '../../bus/message-store.js';
import type { ProjectConfig } from '../../agents/config.js';
import type { CurrentSession } from '../../agents/session.js';
import type { Supervisor } from '../../agents/supervisor.js';
import type { Waker } from '../../agents/waker.js';
import type { Logger } from '../../log.js';

export interface AgentDeps {
  agents: AgentStore;
  bus: MessageStore;
  supervisor: Supervisor;
  config: ProjectConfig;
  waker: Waker;
  logger: Logger;
  session: CurrentSession;
  /** The `.maestro` directory: agent files, worktrees. */
  dataDir: string;
}
