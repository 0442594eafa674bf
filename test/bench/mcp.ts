/**
 * (c) One `team_msg log` round trip over stdio MCP: the built server started by the SDK client,
 * warmed up, then N sequential callTool calls timed one by one (p50, p95, p99). Includes the
 * client's own work (JSON-RPC framing, output-schema validation), as a real client pays it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, now, percentile, progressMessage, tempDir } from './common.js';

export interface McpResult {
  calls: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  per_s: number;
}

const SESSION = 'bench-mcp';

export async function mcpLogRoundTrip(calls: number, warmup: number): Promise<McpResult> {
  const tmp = tempDir('mcp');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.MAESTRO_DB = tmp.file('bus.db');
  env.MAESTRO_LOG_FILE = tmp.file('maestro.log');
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env, stderr: 'inherit' });
  const client = new Client({ name: 'maestro-bench', version: '0.0.0' });
  try {
    await client.connect(transport);
    await client.listTools(); // as clients do; also caches the output-schema validator
    const call = async (i: number) => {
      const m = progressMessage(SESSION, 1, i);
      const result = await client.callTool({
        name: 'team_msg',
        arguments: {
          operation: 'log',
          session_id: SESSION,
          from: m.from,
          type: m.type,
          summary: m.summary,
          data: m.data,
        },
      });
      if (result.isError) throw new Error(`team_msg log failed: ${JSON.stringify(result.content)}`);
      return result;
    };
    for (let i = 0; i < warmup; i++) await call(i);
    const times: number[] = [];
    const start = now();
    for (let i = 0; i < calls; i++) {
      const t = now();
      await call(warmup + i);
      times.push(now() - t);
    }
    const total = now() - start;
    const last = (await call(warmup + calls)).structuredContent as { id?: string } | undefined;
    const expected = `MSG-${String(warmup + calls + 1).padStart(3, '0')}`;
    if (last?.id !== expected) throw new Error(`last id ${last?.id}, expected ${expected}`);
    return {
      calls,
      p50_ms: percentile(times, 50),
      p95_ms: percentile(times, 95),
      p99_ms: percentile(times, 99),
      max_ms: Math.max(...times),
      per_s: (calls / total) * 1000,
    };
  } finally {
    await client.close().catch(() => undefined);
    tmp.cleanup();
  }
}
