/**
 * (e) Concurrent MCP writers: N client processes, each with its own server over stdio (as each
 * agent of a team has), released together, each making sequential calls. Against maestro,
 * every client logs `team_msg` progress messages into one session of one database (then the
 * database is audited: every acknowledged id stored once under its sender, ids 1..N contiguous);
 * against the floor, the same clients call a no-op tool on a server built with the same SDK.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { openDatabase } from '../../src/bus/db.js';
import { parseMessageId } from '../../src/bus/message.js';
import { BENCH_DIR, CLI, percentile, progressMessage, raceChildren, tempDir } from './common.js';
import type { ClientJob, ClientReport } from './mcp-client.js';

const SESSION = 'bench-mcp-writers';
/** The no-op server's tool (noop-server.ts; not imported: importing it would start it). */
const NOOP_TOOL = 'noop';

export interface ConcurrentMcpRun {
  target: 'maestro' | 'noop';
  clients: number;
  calls: number;
  ms: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Server CPU per call in µs (all servers' CPU time over all calls), or null where unmeasurable. */
  server_cpu_us_per_call: number | null;
  /** maestro only: the audit of the database against what the servers acknowledged. */
  lost: number;
  duplicates: number;
  contiguous: boolean;
}

/** Extra node flags for the servers, for profiling them under this load: BENCH_SERVER_NODE_ARGS="--cpu-prof". */
const serverNodeArgs = () => (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('MAESTRO_')) env[key] = value;
  }
  return env;
}

function jobFor(
  target: 'maestro' | 'noop',
  worker: number,
  dbFile: string,
  logFile: string,
  calls: number,
  warmup: number,
): ClientJob {
  const m = progressMessage(SESSION, worker, 1);
  const args = {
    operation: 'log',
    session_id: SESSION,
    from: m.from,
    type: m.type,
    summary: `[${m.from}] phase {i} done`,
    data: { ...m.data, phase: 'phase-{i}' },
  };
  if (target === 'noop') {
    return {
      server: [...serverNodeArgs(), path.join(BENCH_DIR, 'noop-server.js')],
      env: baseEnv(),
      tool: NOOP_TOOL,
      args,
      warmup_args: {},
      warmup,
      calls,
    };
  }
  return {
    server: [...serverNodeArgs(), process.env.BENCH_MAESTRO_CLI ?? CLI, 'mcp'],
    env: { ...baseEnv(), MAESTRO_DB: dbFile, MAESTRO_LOG_FILE: logFile },
    tool: 'team_msg',
    args,
    warmup_args: { session_id: `${SESSION}-warmup` },
    warmup,
    calls,
  };
}

export async function concurrentMcp(
  target: 'maestro' | 'noop',
  clients: number,
  callsPerClient: number,
  warmup: number,
): Promise<ConcurrentMcpRun> {
  const tmp = tempDir(`mcp-${target}`);
  const dbFile = tmp.file('bus.db');
  try {
    if (target === 'maestro') openDatabase(dbFile).close(); // migrate once, before the servers race
    const script = path.join(BENCH_DIR, 'mcp-client.js');
    const children = Array.from({ length: clients }, (_, i) =>
      fork(script, [JSON.stringify(jobFor(target, i + 1, dbFile, tmp.file('maestro.log'), callsPerClient, warmup))], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const { reports, ms } = await raceChildren<ClientReport>(children, 'client');
    const failed = reports.find((r) => r.error);
    if (failed) throw new Error(`a ${target} client failed: ${failed.error}`);

    const latencies = reports.flatMap((r) => r.latencies_ms);
    const total = clients * callsPerClient;
    const audit =
      target === 'maestro' ? auditMaestro(dbFile, reports, total) : { lost: 0, duplicates: 0, contiguous: true };
    return {
      target,
      clients,
      calls: total,
      ms,
      per_s: (total / ms) * 1000,
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      max_ms: Math.max(...latencies),
      server_cpu_us_per_call: reports.every((r) => r.server_cpu_ms !== null)
        ? (reports.reduce((sum, r) => sum + r.server_cpu_ms!, 0) * 1000) / total
        : null,
      ...audit,
    };
  } finally {
    tmp.cleanup();
  }
}

/** Every id a server acknowledged is stored once, from that client; the session holds 1..N and nothing else. */
function auditMaestro(dbFile: string, reports: ClientReport[], total: number) {
  const db = openDatabase(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare<[string], { seq: number; from_role: string }>('SELECT seq, from_role FROM messages WHERE session_id = ?')
      .all(SESSION);
    const stored = new Map(rows.map((r) => [r.seq, r.from_role]));
    const acked = new Map<number, number>();
    let lost = 0;
    reports.forEach((report, i) => {
      const from = progressMessage(SESSION, i + 1, 1).from;
      for (const id of report.ids) {
        const seq = parseMessageId(id) ?? -1;
        acked.set(seq, (acked.get(seq) ?? 0) + 1);
        if (stored.get(seq) !== from) lost++;
      }
    });
    const duplicates = [...acked.values()].reduce((n, c) => n + c - 1, 0) + (rows.length - stored.size);
    const contiguous =
      rows.length === total && stored.size === total && [...stored.keys()].every((s) => s >= 1 && s <= total);
    return { lost: lost + Math.max(0, total - stored.size), duplicates, contiguous };
  } finally {
    db.close();
  }
}
