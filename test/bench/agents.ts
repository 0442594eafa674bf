/**
 * Agent runtime figures, through the real stdio server with `command` workers:
 *  - spawn overhead: from the spawn_agent call to the worker process running (it stamps the time
 *    as its first act), p50/p99;
 *  - wake latency: from a worker reporting its result through its own maestro server to the
 *    parent's wait_agent returning, p50/p99;
 *  - 100 concurrent agents all completing, and the server's peak RSS.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, ROOT, percentile, tempDir } from './common.js';

export const MCP_WORKER = path.join(ROOT, 'dist/test/fixtures/mcp-worker.js');
export const epochMs = () => performance.timeOrigin + performance.now();

export interface Server {
  call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
  pid: number;
  dir: string;
  close(): Promise<void>;
}

/** A project of its own (`config` added to its configuration) with a maestro MCP server started in it. */
export async function startServer(
  label: string,
  options: { config?: object; env?: Record<string, string>; wrap?: string[] } = {},
): Promise<Server> {
  const tmp = tempDir(label);
  execFileSync('git', ['init', '-q'], { cwd: tmp.dir });
  mkdirSync(path.join(tmp.dir, '.maestro'), { recursive: true });
  writeFileSync(
    path.join(tmp.dir, '.maestro', 'config.json'),
    JSON.stringify({ limits: { max_open_agents: 500 }, ...options.config }),
  );
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  delete env.MAESTRO_DB;
  Object.assign(env, options.env);
  // `wrap` runs it elsewhere, e.g. `ip netns exec <ns>`: another machine, as far as the network goes.
  const [command, ...args] = [...(options.wrap ?? []), process.execPath, CLI, 'mcp'];
  const transport = new StdioClientTransport({
    command: command!,
    args,
    env,
    cwd: tmp.dir,
    stderr: 'inherit',
  });
  const client = new Client({ name: 'maestro-bench', version: '0.0.0' });
  await client.connect(transport);
  return {
    pid: transport.pid!,
    dir: tmp.dir,
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
      if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
      return result.structuredContent as Record<string, unknown>;
    },
    async close() {
      await client.close();
      tmp.cleanup();
    },
  };
}

export interface Distribution {
  runs: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export const distribution = (values: number[]): Distribution => ({
  runs: values.length,
  p50_ms: percentile(values, 50),
  p99_ms: percentile(values, 99),
  max_ms: Math.max(...values),
});

export async function spawnOverhead(runs: number): Promise<Distribution & { call_p50_ms: number }> {
  const server = await startServer('spawn');
  const overheads: number[] = [];
  const calls: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const marker = path.join(server.dir, `started-${i}`);
      const t0 = epochMs();
      await server.call('spawn_agent', {
        task_name: `S-${i}`,
        backend: 'command',
        command: ['sh', '-c', `date +%s%N > ${marker}`],
        message: 'stamp the time',
      });
      calls.push(epochMs() - t0);
      while (!existsSync(marker) || readFileSync(marker, 'utf8').trim() === '') await sleep(1);
      overheads.push(Number(readFileSync(marker, 'utf8').trim()) / 1e6 - t0);
    }
  } finally {
    await server.close();
  }
  return { ...distribution(overheads), call_p50_ms: percentile(calls, 50) };
}

export async function wakeLatency(runs: number): Promise<Distribution> {
  const server = await startServer('wake');
  const latencies: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const marker = path.join(server.dir, `reported-${i}`);
      const plan = { sleep_ms: 300, report_marker: marker, report: { run: i } };
      await server.call('spawn_agent', {
        task_name: `W-${i}`,
        backend: 'command',
        command: [process.execPath, MCP_WORKER],
        message: `report when told\n${JSON.stringify(plan)}`,
      });
      const waited = await server.call('wait_agent', { targets: [`W-${i}`], timeout_ms: 30_000 });
      const returned = epochMs();
      if (waited.timed_out) throw new Error(`W-${i} did not report`);
      latencies.push(returned - Number(readFileSync(marker, 'utf8')));
      await server.call('close_agent', { target: `W-${i}` });
    }
  } finally {
    await server.close();
  }
  return distribution(latencies);
}

export interface ConcurrentAgents {
  agents: number;
  completed: number;
  seconds: number;
  server_peak_rss_mb: number;
}

export async function concurrentAgents(count: number): Promise<ConcurrentAgents> {
  const server = await startServer('hundred');
  try {
    const started = epochMs();
    for (let i = 0; i < count; i++) {
      await server.call('spawn_agent', {
        task_name: `C-${i}`,
        backend: 'command',
        command: ['sh', '-c', 'sleep 1; echo "{\\"ok\\": true}"'],
        message: 'a short job',
      });
    }
    let completed = 0;
    while (completed < count && epochMs() - started < 120_000) {
      await server.call('wait_agent', { timeout_ms: 5000 });
      const listed = (await server.call('list_agents', {})).agents as { status: string }[];
      completed = listed.filter((a) => a.status === 'completed').length;
    }
    const seconds = (epochMs() - started) / 1000;
    const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
    return { agents: count, completed, seconds, server_peak_rss_mb: hwm / 1024 };
  } finally {
    await server.close();
  }
}
