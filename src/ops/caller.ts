/**
 * Who is making a call. A top-level MCP client is the coordinator; a person at the shell is
 * `user`; a worker agent is its task name, known by the worker process its server or command runs
 * inside (agents/identity.ts). The role is the `from` of what the caller logs and the mailbox it reads.
 */
export interface Caller {
  role: string;
  /** The verified agent id when the caller is a worker agent; null for people and top-level clients. */
  agentId: string | null;
  /** A worker's own session: it sees and acts in no other. Null for people and top-level clients. */
  sessionId: string | null;
  /** A worker's place in the tree ('/IMPL-001'): it controls only agents below it. */
  path: string | null;
  depth: number;
  /**
   * A top-level client's own name for its news (news.ts): the process that started its server,
   * so a server the same client restarts keeps it, and two clients of one project have their own.
   * Null for agents and people.
   */
  clientId: string | null;
}

export const COORDINATOR: Caller = {
  role: 'coordinator',
  agentId: null,
  sessionId: null,
  path: null,
  depth: 0,
  clientId: null,
};
export const SHELL_USER: Caller = {
  role: 'user',
  agentId: null,
  sessionId: null,
  path: null,
  depth: 0,
  clientId: null,
};

/**
 * Names that are not a worker's to take: a worker named `coordinator` would read the
 * coordinator's mailbox and write as it; `parent` is how a worker addresses its parent, `all`
 * the broadcast recipient.
 */
export const RESERVED_ROLES: readonly string[] = [COORDINATOR.role, SHELL_USER.role, 'parent', 'all'];
