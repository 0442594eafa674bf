/** An agent as the store takes it, for tests below the tools: top-level, `command` backend, session s1. */
import type { NewAgent } from '../../src/store/records.js';

export function newAgent(id: string, overrides: Partial<NewAgent> = {}): NewAgent {
  return {
    id,
    session_id: 's1',
    task_name: id,
    nickname: null,
    agent_type: 'default',
    parent_id: null,
    depth: 1,
    path: `/${id}`,
    backend: 'command',
    command: null,
    model: null,
    reasoning_effort: null,
    cwd: process.cwd(),
    worktree: null,
    branch: null,
    owner_pid: null,
    owner_start: null,
    owner_host: null,
    owner_server: null,
    client_id: null,
    task: 'do it',
    ...overrides,
  };
}
