/**
 * (b) `list --type progress --last 10` on a session of 1,000,000 mixed messages: in-process
 * through runTeamMsg (median, p95), and end to end through the CLI as a spawned process next to
 * a bare `node -e ""`. The database is built once with the raw handle and cached in bench-results/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, schemaVersion } from '../../src/bus/db.js';
import { openSqliteStore } from '../../src/bus/sqlite-store.js';
import { SCHEMA_VERSION } from '../../src/bus/migrations.js';
import { COORDINATOR } from '../../src/ops/caller.js';
import { runTeamMsg } from '../../src/ops/team-msg.js';
import { CLI, RESULTS_DIR, median, now, percentile } from './common.js';

export const LIST_SESSION = 'bench-list-1m';
export const LIST_ROWS = 1_000_000;
export const LIST_DB = path.join(RESULTS_DIR, 'list-1m.db');

const WORKERS = [
  'IMPL-001',
  'IMPL-002',
  'IMPL-003',
  'IMPL-004',
  'IMPL-005',
  'IMPL-006',
  'TEST-001',
  'TEST-002',
  'REVIEW-001',
];
const PHASES = ['analyse', 'plan', 'implement', 'test', 'review', 'document'];

/** Deterministic pseudo-random numbers, so every build holds the same rows. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

type Row = [string, number, string, string, string, string, string, string, null];

/** ~40% progress, the rest message / blocker / task_complete / state_update, from 10 roles. */
function makeRow(seq: number, rand: () => number, base: number): Row {
  const worker = WORKERS[Math.floor(rand() * WORKERS.length)]!;
  const ts = new Date(base + seq * 250).toISOString();
  const r = rand();
  const pct = Math.floor(rand() * 10) * 10;
  const phase = PHASES[seq % PHASES.length]!;
  let from = worker;
  let to = 'coordinator';
  let type: string;
  let summary: string;
  let data: Record<string, unknown>;
  if (r < 0.4) {
    type = 'progress';
    summary = `[${worker}] ${phase} done (${pct}%)`;
    data = {
      task_id: worker,
      role: 'implementer',
      status: 'in_progress',
      progress_pct: pct,
      phase,
      key_info: `touched src/module-${seq % 97}.ts`,
    };
  } else if (r < 0.65) {
    type = 'message';
    if (rand() < 0.5) {
      from = 'coordinator';
      to = rand() < 0.3 ? 'all' : worker;
      summary = `[coordinator] please rebase ${worker} on main before ${phase}`;
    } else {
      summary = `[${worker}] question about the ${phase} of module-${seq % 97}`;
    }
    data = { task_id: worker, ref: `MSG-${Math.max(1, seq - 3)}` };
  } else if (r < 0.75) {
    type = 'blocker';
    summary = `[${worker}] blocked: waiting on the API schema for module-${seq % 97}`;
    data = { task_id: worker, blocker: 'dependency', waiting_on: WORKERS[seq % WORKERS.length] };
  } else if (r < 0.85) {
    type = 'task_complete';
    summary = `[${worker}] task complete: ${(seq % 20) + 1} files changed, tests green`;
    data = { task_id: worker, status: 'done', files_changed: (seq % 20) + 1, tests: 'pass' };
  } else {
    type = 'state_update';
    summary = `[${worker}] state: ${phase}`;
    data = { phase, progress_pct: pct, branch: `task/${worker.toLowerCase()}` };
  }
  return [LIST_SESSION, seq, ts, from, to, type, summary, JSON.stringify(data), null];
}

/** The cached database if it is complete and current, else null. */
function cachedOk(): boolean {
  if (!existsSync(LIST_DB)) return false;
  try {
    const db = openDatabase(LIST_DB, { readonly: true });
    try {
      const n = db.prepare('SELECT count(*) AS n FROM messages WHERE session_id = ?').get(LIST_SESSION) as {
        n: number;
      };
      return schemaVersion(db) === SCHEMA_VERSION && n.n === LIST_ROWS;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}

/** Builds (or reuses) bench-results/list-1m.db; returns the build time in ms (0 if reused). */
export function ensureListDb(log: (line: string) => void): number {
  if (cachedOk()) {
    log(`reusing ${path.relative(process.cwd(), LIST_DB)}`);
    return 0;
  }
  log(`building ${LIST_ROWS.toLocaleString('en')}-message database (once; cached afterwards)…`);
  const building = `${LIST_DB}.building`;
  removeDb(LIST_DB);
  removeDb(building);
  const start = now();
  const db = openDatabase(building);
  const base = Date.parse('2025-01-01T00:00:00Z');
  db.prepare('INSERT INTO sessions (id, created_at, next_seq) VALUES (?, ?, ?)').run(
    LIST_SESSION,
    new Date(base).toISOString(),
    LIST_ROWS + 1,
  );
  const insert = db.prepare(
    `INSERT INTO messages (session_id, seq, ts, from_role, to_role, type, summary, data, sender_agent_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const batch = db.transaction((from: number, to: number, rand: () => number) => {
    for (let seq = from; seq <= to; seq++) insert.run(...makeRow(seq, rand, base));
  });
  const rand = lcg(42);
  const BATCH = 50_000;
  for (let from = 1; from <= LIST_ROWS; from += BATCH)
    batch.immediate(from, Math.min(LIST_ROWS, from + BATCH - 1), rand);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  renameSync(building, LIST_DB);
  removeDb(building); // the emptied -wal and -shm beside it
  const ms = now() - start;
  log(`built in ${(ms / 1000).toFixed(1)} s`);
  return ms;
}

export interface InProcessResult {
  runs: number;
  median_ms: number;
  p95_ms: number;
  first_ms: number;
  progress_total: number;
}

/** runTeamMsg list on an already-built database, after opening it the way the CLI does. */
export async function listInProcess(runs: number, warmup: number): Promise<InProcessResult> {
  const opened = openSqliteStore(LIST_DB);
  try {
    const store = opened.messages;
    const input = { operation: 'list', session_id: LIST_SESSION, type: 'progress', last: 10 } as const;
    const t0 = now();
    const first = await runTeamMsg(store, input, COORDINATOR);
    const firstMs = now() - t0;
    if (first.showing !== 10) throw new Error(`list returned ${first.showing} messages, expected 10`);
    for (let i = 0; i < warmup; i++) await runTeamMsg(store, input, COORDINATOR);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = now();
      await runTeamMsg(store, input, COORDINATOR);
      times.push(now() - t);
    }
    return {
      runs,
      median_ms: median(times),
      p95_ms: percentile(times, 95),
      first_ms: firstMs,
      progress_total: first.total ?? 0,
    };
  } finally {
    await opened.close();
  }
}

export interface CliResult {
  runs: number;
  cli_median_ms: number;
  cli_p95_ms: number;
  node_median_ms: number;
  ratio: number;
}

function timeSpawn(args: string[], check?: (stdout: string) => void): number {
  const t = now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = now() - t;
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  check?.(result.stdout);
  return ms;
}

/** The CLI end to end against a bare node start, interleaved so drift hits both alike. */
export function listCli(runs: number, warmup: number): CliResult {
  const cliArgs = [CLI, 'msg', 'list', '-s', LIST_SESSION, '--type', 'progress', '--last', '10', '--db', LIST_DB];
  const tenLines = (stdout: string) => {
    const lines = stdout.split('\n').filter((l) => l.length > 0);
    if (lines.length !== 10) throw new Error(`maestro msg list printed ${lines.length} lines, expected 10`);
  };
  const cli: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const c = timeSpawn(cliArgs, tenLines);
    const b = timeSpawn(['-e', '']);
    if (i >= warmup) {
      cli.push(c);
      bare.push(b);
    }
  }
  const cliMedian = median(cli);
  const nodeMedian = median(bare);
  return {
    runs,
    cli_median_ms: cliMedian,
    cli_p95_ms: percentile(cli, 95),
    node_median_ms: nodeMedian,
    ratio: cliMedian / nodeMedian,
  };
}
