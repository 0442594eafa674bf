/**
 * Who is making a call. A top-level MCP client is the coordinator; a person at the shell is
 * `user`; a worker agent (next layer) is its task name, authenticated by its own server.
 * The role is the default `from` of what the caller logs and the mailbox it reads.
 */
export interface Caller {
  role: string;
  /** The verified agent id when the caller is a worker agent; null for people and top-level clients. */
  agentId: string | null;
}

export const COORDINATOR: Caller = { role: 'coordinator', agentId: null };
export const SHELL_USER: Caller = { role: 'user', agentId: null };
