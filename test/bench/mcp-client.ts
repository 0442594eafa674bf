/**
 * Child process for (e): one MCP client (the SDK's, over stdio) with its own server, as each
 * agent of a team has. Connects, lists tools, warms up, reports "ready", waits for "go", makes
 * N sequential calls timing each, and reports the latencies and the ids the server returned.
 * Run with fork(): argv = JSON of ClientJob.
 */
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { now } from './common.js';

export interface ClientJob {
  /** The server to start: argv after node. */
  server: string[];
  env: Record<string, string>;
  tool: string;
  /** Arguments per call; `{i}` in any string value is replaced by the call's number. */
  args: Record<string, unknown>;
  /** Overrides for the warm-up calls (e.g. another session, so measured ids start at 1). */
  warmup_args: Record<string, unknown>;
  warmup: number;
  calls: number;
}

export interface ClientReport {
  latencies_ms: number[];
  ids: string[];
  ms: number;
  /** CPU time the server process spent during the measured calls (Linux schedstat), or null. */
  server_cpu_ms: number | null;
  error?: string;
}

const job = JSON.parse(process.argv[2] ?? 'null') as ClientJob | null;
if (!job || !process.send) {
  console.error('usage: fork(mcp-client.js, [JSON job]) with an IPC channel');
  process.exit(2);
}

const fill = (value: unknown, i: number): unknown => {
  if (typeof value === 'string') return value.replaceAll('{i}', String(i));
  if (Array.isArray(value)) return value.map((v) => fill(v, i));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, i)]));
  }
  return value;
};

const client = new Client({ name: 'maestro-bench', version: '0.0.0' });
const transport = new StdioClientTransport({
  command: process.execPath,
  args: job.server,
  env: job.env,
  stderr: 'inherit',
});

/** The server's CPU time so far in ms: robust to other load on the machine, unlike wall time. */
function serverCpuMs(): number | null {
  try {
    const [ns] = readFileSync(`/proc/${transport.pid}/schedstat`, 'utf8').split(' ');
    return Number(ns) / 1e6;
  } catch {
    return null;
  }
}

async function call(args: Record<string, unknown>, i: number): Promise<string> {
  const result = await client.callTool({ name: job!.tool, arguments: fill(args, i) as Record<string, unknown> });
  if (result.isError) throw new Error(`${job!.tool} failed: ${JSON.stringify(result.content)}`);
  return String((result.structuredContent as { id?: unknown } | undefined)?.id ?? '');
}

async function measure(): Promise<ClientReport> {
  const latencies: number[] = [];
  const ids: string[] = [];
  const cpu0 = serverCpuMs();
  const start = now();
  try {
    for (let i = 0; i < job!.calls; i++) {
      const t = now();
      ids.push(await call(job!.args, i));
      latencies.push(now() - t);
    }
  } catch (e) {
    return { latencies_ms: latencies, ids, ms: now() - start, server_cpu_ms: null, error: (e as Error).message };
  }
  const ms = now() - start;
  const cpu1 = serverCpuMs();
  return { latencies_ms: latencies, ids, ms, server_cpu_ms: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

try {
  await client.connect(transport);
  await client.listTools(); // as clients do; also caches the output-schema validator
  for (let i = 0; i < job.warmup; i++) await call({ ...job.args, ...job.warmup_args }, i);
} catch (e) {
  process.send({ failed: (e as Error).message });
  process.exit(1);
}
process.on('message', (msg) => {
  if (msg !== 'go') return;
  void measure().then(async (report) => {
    await client.close().catch(() => undefined);
    process.send!({ done: report }, () => process.disconnect());
  });
});
process.send({ ready: true });
