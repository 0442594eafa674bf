/** Starts the built `maestro mcp` as a subprocess and connects the SDK's client to it over stdio. */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach } from 'vitest';
import { CLI } from './paths.js';
import { tempDir } from './temp.js';

const open: Client[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

export interface ServerUnderTest {
  client: Client;
  serverPid: number;
  dbFile: string;
  logFile: string;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

export function serverEnv(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    MAESTRO_DB: path.join(dir, 'maestro.db'),
    MAESTRO_LOG_FILE: path.join(dir, 'logs', 'server.log'),
  };
}

/**
 * With `projectDb`, the server gets no MAESTRO_DB and finds the project's database from `cwd`,
 * as it does when a client starts it in a project.
 */
export async function startServer(
  dir = tempDir(),
  options: {
    cwd?: string;
    projectDb?: boolean;
    env?: Record<string, string>;
    ownClient?: boolean;
    /** A command the server is started through (`ip netns exec ns-a`): it runs the rest. */
    wrap?: string[];
  } = {},
): Promise<ServerUnderTest> {
  const env: Record<string, string> = { ...serverEnv(dir), ...options.env };
  if (options.projectDb) delete env.MAESTRO_DB;
  const client = new Client({ name: 'maestro-test', version: '0.0.0' });
  // ownClient: started through a shell of its own, as another client window starts its server,
  // so the server's client process is not this test's (agents/client.ts).
  const argv = options.ownClient
    ? ['sh', '-c', '"$0" "$1" mcp; exit $?', process.execPath, CLI]
    : [process.execPath, CLI, 'mcp'];
  const [command, ...args] = [...(options.wrap ?? []), ...argv] as [string, ...string[]];
  const transport = new StdioClientTransport({
    command,
    args,
    env,
    stderr: 'pipe',
    cwd: options.cwd,
  });
  await client.connect(transport);
  open.push(client);
  return {
    client,
    serverPid: transport.pid!,
    dbFile: env.MAESTRO_DB ?? path.join(options.cwd ?? dir, '.maestro', 'maestro.db'),
    logFile: env.MAESTRO_LOG_FILE!,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
  };
}

export function text(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === 'text' ? first.text : '';
}
