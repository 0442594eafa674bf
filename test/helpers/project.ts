/** A temporary project (a git repository with one commit) with a maestro server started in it. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { FIXTURES } from './paths.js';
import { startServer, text, type ServerUnderTest } from './mcp.js';
import { tempDir } from './temp.js';
import { PATIENCE } from './patience.js';

export const MCP_WORKER = path.join(FIXTURES, 'mcp-worker.js');

export function gitProject(): string {
  const dir = tempDir('maestro-project-');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  writeFileSync(path.join(dir, 'README.md'), '# sample\n');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  return dir;
}

export interface Project extends ServerUnderTest {
  dir: string;
  /** Calls a tool and fails the test on an error result. */
  ok(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Calls a tool that must fail, and returns its message. */
  fails(name: string, args: Record<string, unknown>): Promise<string>;
}

export async function startProject(
  options: { config?: object; dir?: string; env?: Record<string, string>; ownClient?: boolean; wrap?: string[] } = {},
): Promise<Project> {
  const dir = options.dir ?? gitProject();
  if (options.config) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, '.maestro'), { recursive: true });
    writeFileSync(path.join(dir, '.maestro', 'config.json'), JSON.stringify(options.config));
  }
  const server = await startServer(tempDir(), {
    cwd: dir,
    projectDb: true,
    env: options.env,
    ownClient: options.ownClient,
    wrap: options.wrap,
  });
  return {
    ...server,
    dir,
    async ok(name, args) {
      const result: CallToolResult = await server.call(name, args);
      expect(result.isError, `${name}: ${text(result)}`).toBeFalsy();
      return result.structuredContent as Record<string, unknown>;
    },
    async fails(name, args) {
      const result = await server.call(name, args);
      expect(result.isError, `${name} should have failed: ${text(result)}`).toBe(true);
      return text(result);
    },
  };
}

/** spawn_agent arguments for a scripted fixture worker (`script`, default mcp-worker) running `plan`. */
export function worker(
  taskName: string,
  plan: object,
  extra: Record<string, unknown> = {},
  script = MCP_WORKER,
): Record<string, unknown> {
  return {
    task_name: taskName,
    backend: 'command',
    command: [process.execPath, script],
    message: `Scripted task for ${taskName}\n${JSON.stringify(plan)}`,
    ...extra,
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `condition` until it holds, failing the test after `timeoutMs` (times PATIENCE). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs * PATIENCE;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for a condition (${timeoutMs * PATIENCE} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface AgentRow {
  agent_id: string;
  task_name: string;
  status: string;
  pid: number | null;
  turns: number;
  backend_session_id: string | null;
  result: unknown;
}

/** list_agents of the project's (current or given) session. */
export async function agentRows(p: Pick<Project, 'ok'>, sessionId?: string): Promise<AgentRow[]> {
  return (await p.ok('list_agents', sessionId ? { session_id: sessionId } : {})).agents as AgentRow[];
}
