/**
 * `npm run bench`: every figure measured on this machine in one run — (a) write throughput of
 * the store from 1 and 8 processes against raw better-sqlite3 ceilings, (b) `list --type progress
 * --last 10` on a 1,000,000-message session in-process and through the CLI, (c) a `team_msg log`
 * round trip over stdio MCP, (d) agents, (e) concurrent MCP writers: 4 clients each with its own
 * `maestro mcp` server logging into one session, against a no-op tool on a server built with the
 * same SDK, and write latency with 8 such writers, (f) the event feed: how soon a follower in
 * another process reads a write, and what 4 and 16 followers cost the writer, (g) push latency: a
 * worker's report to the idle `maestro team` lead's next model request, with a Claude Code lead
 * and with a Codex lead, (h) the dashboard: a write in one process to its row painted in a
 * headless Chromium on `maestro ui`, (i) the dashboard's time to interactive on a session of 50
 * agents and 100,000 messages, and a search over them. Prints a table to stdout
 * (progress goes to stderr) and writes bench-results/bench.json. Exits 1 only if a correctness
 * check fails (lost or duplicated ids, a push missed or told twice, a write not painted or painted
 * twice, a big session not shown whole). `run.js push` measures (g) alone, into
 * bench-results/bench-push.json; `run.js ui` (h) and (i), into bench-results/bench-ui.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { CHROMIUM } from '../fixtures/chromium.js';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_DIR, median, round } from './common.js';
import { LIST_ROWS, ensureListDb, listCli, listInProcess } from './list.js';
import { concurrentAgents, spawnOverhead, wakeLatency } from './agents.js';
import { followLatency, writesWithFollowers } from './feed.js';
import { mcpLogRoundTrip } from './mcp.js';
import { cliFloor, pushLatency, type CliFloor, type PushLatency } from './push.js';
import { concurrentMcp, type ConcurrentMcpRun } from './mcp-concurrent.js';
import { timeToInteractive, writeToPaint, type TimeToInteractive, type WritePaint } from './ui.js';
import { bareCeiling, rawCeiling, storeConcurrent, storeSingle, type ConcurrentRun } from './writes.js';
import { pgRawCeiling, pgStoreConcurrent, type PgConcurrentRun } from './pg-writes.js';
import { makeMachines, type Machine } from '../helpers/netns.js';
import { findPgBin, startPostgres, type PgServer } from '../helpers/postgres.js';
import { hostFigures, type HostFigures } from './hosts.js';

const CONFIG = {
  write_messages: 20_000,
  processes: 8,
  write_rounds: 5,
  list_runs: 200,
  list_warmup: 20,
  cli_runs: 30,
  cli_warmup: 3,
  mcp_calls: 2_000,
  mcp_warmup: 200,
  spawn_runs: 100,
  wake_runs: 40,
  concurrent_agents: 100,
  mcp_clients: 4,
  mcp_client_calls: 500,
  mcp_writers: 8,
  mcp_writer_calls: 250,
  mcp_client_warmup: 50,
  mcp_rounds: 3,
  feed_writes: 300,
  feed_followers: 2,
  feed_gap_ms: 10,
  feed_cost_messages: 5_000,
  feed_cost_rounds: 3,
  push_runs: 30,
  ui_writes: 100,
  ui_warmup: 5,
  ui_gap_ms: 50,
  ui_progress_writes: 30,
  ui_messages: 100_000,
  ui_loads: 5,
  pg_processes: 8,
  pg_messages: 8_000,
  pg_rounds: 3,
  host_runs: 20,
};

interface Row {
  figure: string;
  measured: string;
  target: string;
  pass: boolean | null;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function writes() {
  const { write_messages: total, processes, write_rounds: rounds } = CONFIG;
  const perProcess = total / processes;
  const raw: number[] = [];
  const single: number[] = [];
  const multi: number[] = [];
  const bare: number[] = [];
  const concurrent: ConcurrentRun[] = [];
  // Interleaved rounds, so machine noise hits every figure alike; medians are reported.
  for (let round = 1; round <= rounds; round++) {
    log(`(a) writes round ${round}/${rounds}: ${fmt(total)} messages each`);
    raw.push(rawCeiling(total).per_s);
    single.push((await storeSingle(total)).per_s);
    const run = await storeConcurrent(processes, perProcess);
    concurrent.push(run);
    multi.push(run.per_s);
    bare.push(bareCeiling(total).per_s);
  }
  const lost = Math.max(...concurrent.map((r) => r.lost));
  const duplicates = Math.max(...concurrent.map((r) => r.duplicates));
  const contiguous = concurrent.every((r) => r.contiguous && r.rows === total);
  return {
    messages: total,
    per_process: perProcess,
    rounds,
    raw_ceiling_per_s: median(raw),
    bare_ceiling_per_s: median(bare),
    store_1_process_per_s: median(single),
    store_n_process_per_s: median(multi),
    ratio_n_to_ceiling: median(multi) / median(raw),
    lost,
    duplicates,
    contiguous,
    samples: { raw, bare, single, multi },
    slowest_single_write_ms: Math.max(...concurrent.flatMap((r) => r.writers.map((w) => w.max_ms))),
    writers_last_round: concurrent[concurrent.length - 1]!.writers,
  };
}

/** (e): per round, the no-op floor and maestro back to back (4 clients), then 8 writers of each. */
async function mcpWriters() {
  const { mcp_clients: clients, mcp_client_calls: calls, mcp_writers: writers, mcp_writer_calls: writerCalls } = CONFIG;
  const warmup = CONFIG.mcp_client_warmup;
  const rounds = CONFIG.mcp_rounds;
  const floor: ConcurrentMcpRun[] = [];
  const maestro: ConcurrentMcpRun[] = [];
  const floor8: ConcurrentMcpRun[] = [];
  const maestro8: ConcurrentMcpRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    log(
      `(e) MCP writers round ${round}/${rounds}: ${clients} x ${fmt(calls)} calls, then ${writers} x ${fmt(writerCalls)}`,
    );
    // Alternate which goes first, so a drift in machine load does not favour one side.
    if (round % 2) {
      floor.push(await concurrentMcp('noop', clients, calls, warmup));
      maestro.push(await concurrentMcp('maestro', clients, calls, warmup));
    } else {
      maestro.push(await concurrentMcp('maestro', clients, calls, warmup));
      floor.push(await concurrentMcp('noop', clients, calls, warmup));
    }
    maestro8.push(await concurrentMcp('maestro', writers, writerCalls, warmup));
    floor8.push(await concurrentMcp('noop', writers, writerCalls, warmup));
  }
  const audited = [...maestro, ...maestro8];
  const perS = (runs: ConcurrentMcpRun[]) => median(runs.map((r) => r.per_s));
  return {
    clients,
    calls_per_client: calls,
    writers,
    calls_per_writer: writerCalls,
    rounds,
    floor_per_s: perS(floor),
    maestro_per_s: perS(maestro),
    // Each round's ratio is taken within the round, then the median: the two ran seconds apart.
    ratio: median(maestro.map((m, i) => m.per_s / floor[i]!.per_s)),
    maestro_p50_ms: median(maestro.map((r) => r.p50_ms)),
    maestro_p99_ms: median(maestro.map((r) => r.p99_ms)),
    writers_p50_ms: median(maestro8.map((r) => r.p50_ms)),
    writers_p99_ms: median(maestro8.map((r) => r.p99_ms)),
    writers_max_ms: Math.max(...maestro8.map((r) => r.max_ms)),
    writers_per_s: perS(maestro8),
    floor8_p50_ms: median(floor8.map((r) => r.p50_ms)),
    floor8_p99_ms: median(floor8.map((r) => r.p99_ms)),
    lost: Math.max(...audited.map((r) => r.lost)),
    duplicates: Math.max(...audited.map((r) => r.duplicates)),
    contiguous: audited.every((r) => r.contiguous),
    samples: { floor, maestro, floor8, maestro8 },
  };
}

/** (f): follow latency, then interleaved rounds of writes with 0, 4 and 16 followers reading along. */
async function feed() {
  const latency = await followLatency(CONFIG.feed_writes, CONFIG.feed_followers, CONFIG.feed_gap_ms);
  const counts = [0, 4, 16] as const;
  const samples: Record<(typeof counts)[number], number[]> = { 0: [], 4: [], 16: [] };
  for (let round = 1; round <= CONFIG.feed_cost_rounds; round++) {
    log(
      `(f) feed followers round ${round}/${CONFIG.feed_cost_rounds}: ${fmt(CONFIG.feed_cost_messages)} writes with 0, 4, 16`,
    );
    for (const n of counts) samples[n].push(await writesWithFollowers(CONFIG.feed_cost_messages, n));
  }
  const perS = (n: (typeof counts)[number]) => median(samples[n]);
  return {
    latency,
    writes_per_s: { 0: perS(0), 4: perS(4), 16: perS(16) },
    // Within each round, then the median: the three ran seconds apart.
    cost_4: median(samples[4].map((v, i) => 1 - v / samples[0][i]!)),
    cost_16: median(samples[16].map((v, i) => 1 - v / samples[0][i]!)),
    samples,
  };
}

/** How each lead's rows of (g) are labelled: what differs is who the lead is and what its input is. */
const PUSH_LABELS = {
  claude: {
    latency: 'push latency',
    of: 'of it',
    check: 'push check',
    input: 'the turn on the lead stdin',
    cli: 'Claude Code: stdin line',
    floor: 'bare Claude Code, stdin line',
  },
  codex: {
    latency: 'push latency, Codex lead',
    of: 'Codex lead, of it',
    check: 'push check, Codex lead',
    input: 'the turn/start request',
    cli: 'Codex: turn/start',
    floor: 'bare codex app-server, turn/start',
  },
} as const;

function pushRows(g: PushLatency, floor: CliFloor): Row[] {
  const label = PUSH_LABELS[g.lead];
  const info = (figure: string, p50: number, p99: number): Row => ({
    figure: `(g) ${figure} (p50 / p99)`,
    measured: `${fmt(p50, 1)} / ${fmt(p99, 1)} ms`,
    target: '-',
    pass: null,
  });
  return [
    {
      figure: `(g) ${label.latency}: worker report → idle lead's next model request (p50 / p99)`,
      measured: `${fmt(g.p50_ms, 1)} / ${fmt(g.p99_ms, 1)} ms`,
      target: 'p99 <= 100 ms',
      pass: g.p99_ms <= 100,
    },
    info(`${label.of}, the team process's wake-up on the report`, g.wake_p50_ms, g.wake_p99_ms),
    info(`${label.of}, maestro: report to ${label.input}`, g.maestro_p50_ms, g.maestro_p99_ms),
    info(`${label.of}, ${label.cli} to model request`, g.cli_p50_ms, g.cli_p99_ms),
    info(`floor: ${label.floor} to model request`, floor.p50_ms, floor.p99_ms),
    {
      figure: `(g) ${label.check}, ${g.runs} reports`,
      measured: `missed: ${g.missed}, told twice: ${g.duplicated}, extra turns: ${g.extra_turns}`,
      target: 'missed: 0, told twice: 0, extra turns: 0',
      pass: pushSound(g),
    },
  ];
}

/** (g) with each lead, and each lead's floor. */
async function pushFigures() {
  log(`(g) push: ${CONFIG.push_runs} worker reports into an idle Claude Code lead`);
  const g = await pushLatency(CONFIG.push_runs, log, 'claude');
  log(`(g) floor: ${CONFIG.push_runs} turns of a bare Claude Code`);
  const floor = await cliFloor(CONFIG.push_runs, 'claude');
  log(`(g) push: ${CONFIG.push_runs} worker reports into an idle Codex lead`);
  const codex = await pushLatency(CONFIG.push_runs, log, 'codex');
  log(`(g) floor: ${CONFIG.push_runs} turns of a bare codex app-server`);
  const codexFloor = await cliFloor(CONFIG.push_runs, 'codex');
  return {
    g,
    floor,
    codex,
    codexFloor,
    rows: [...pushRows(g, floor), ...pushRows(codex, codexFloor)],
    sound: pushSound(g) && pushSound(codex),
  };
}

/**
 * (k) with the coordinator and the host in network namespaces of their own, each reaching a
 * server of its own run over a veth link, where this machine allows (root, iproute2); else both
 * on loopback to `server`, saying why.
 */
async function remoteHostFigures(server: PgServer): Promise<HostFigures> {
  const made = makeMachines(2);
  const where = 'missing' in made ? `loopback (no network namespaces: ${made.missing})` : 'two network namespaces';
  log(
    `(k) across hosts: ${CONFIG.host_runs} remote spawns and wakes, coordinator on machine-a, maestro host b, ${where}`,
  );
  if ('missing' in made) return hostFigures(server, CONFIG.host_runs);
  const [a, b] = made.machines as [Machine, Machine];
  try {
    const netServer = await startPostgres({
      listen: [a.gateway, b.gateway],
      hba: [`host all all ${a.address}/32 trust`, `host all all ${b.address}/32 trust`],
    });
    try {
      return await hostFigures(netServer, CONFIG.host_runs, { a, b });
    } finally {
      await netServer.stop();
    }
  } finally {
    made.remove();
  }
}

/**
 * (j) teams across machines: team_msg log from 8 processes on PostgreSQL, beside SQLite with the
 * same writers and count, and the raw pg ceiling on the same server, in interleaved rounds.
 */
async function acrossMachinesFigures() {
  const found = await findPgBin();
  if ('missing' in found) throw new Error(`figures (j) need a PostgreSQL server: ${found.missing}`);
  const { pg_processes: processes, pg_messages: total, pg_rounds: rounds } = CONFIG;
  const perProcess = total / processes;
  const server = await startPostgres();
  const sqlite: number[] = [];
  const postgres: PgConcurrentRun[] = [];
  const raw: number[] = [];
  let k: HostFigures | undefined;
  try {
    for (let round = 1; round <= rounds; round++) {
      log(
        `(j) log from ${processes} processes, round ${round}/${rounds}: SQLite, PostgreSQL, raw pg, ${fmt(total)} each`,
      );
      sqlite.push((await storeConcurrent(processes, perProcess)).per_s);
      postgres.push(await pgStoreConcurrent(server, processes, perProcess));
      raw.push((await pgRawCeiling(server, processes, perProcess)).per_s);
    }
    k = await remoteHostFigures(server);
  } finally {
    await server.stop();
  }
  const pgPerS = median(postgres.map((r) => r.per_s));
  const sound = postgres.every((r) => r.lost === 0 && r.duplicates === 0 && r.contiguous);
  const j = {
    server: server.version,
    processes,
    messages: total,
    rounds,
    sqlite_per_s: median(sqlite),
    postgres_per_s: pgPerS,
    raw_pg_ceiling_per_s: median(raw),
    postgres_to_ceiling: pgPerS / median(raw),
    postgres_to_sqlite: pgPerS / median(sqlite),
    lost: Math.max(...postgres.map((r) => r.lost)),
    duplicates: Math.max(...postgres.map((r) => r.duplicates)),
    samples: { sqlite, postgres: postgres.map((r) => r.per_s), raw },
    hosts: k!,
  };
  const info = (figure: string, measured: string): Row => ({ figure, measured, target: '-', pass: null });
  const rows: Row[] = [
    info(`(j) team_msg log, ${processes} processes: SQLite`, `${fmt(j.sqlite_per_s)} msg/s`),
    info(`(j) team_msg log, ${processes} processes: PostgreSQL`, `${fmt(j.postgres_per_s)} msg/s`),
    info(
      `(j) ceiling: raw pg, one transaction per insert, ${processes} processes`,
      `${fmt(j.raw_pg_ceiling_per_s)} msg/s`,
    ),
    info(
      '(j) PostgreSQL / raw pg ceiling; PostgreSQL / SQLite',
      `${fmt(j.postgres_to_ceiling * 100, 1)} %; ${fmt(j.postgres_to_sqlite * 100, 1)} %`,
    ),
    {
      figure: `(j) PostgreSQL ${processes}-process loss check`,
      measured: `lost: ${j.lost}, duplicates: ${j.duplicates}`,
      target: 'lost: 0, duplicates: 0',
      pass: sound,
    },
    info('(k) the two hosts reach the database over', k!.network),
    {
      figure: `(k) spawn on a remote host: call → worker running, p50 (p99)`,
      measured: `${fmt(k!.spawn.p50_ms, 1)} ms (${fmt(k!.spawn.p99_ms, 1)} ms)`,
      target: 'p50 ≤ 100 ms',
      pass: k!.spawn.p50_ms <= 100,
    },
    {
      figure: `(k) wake across hosts: report on b → wait on a returns, p99 (p50)`,
      measured: `${fmt(k!.wake.p99_ms, 1)} ms (${fmt(k!.wake.p50_ms, 1)} ms)`,
      target: 'p99 ≤ 50 ms',
      pass: k!.wake.p99_ms <= 50,
    },
  ];
  return { j, rows, sound: sound && rows.every((r) => r.pass !== false) };
}

/** `run.js pg`: (j) alone. */
const acrossMachinesOnly = () =>
  only('pg', async () => {
    const { j, rows, sound } = await acrossMachinesFigures();
    const json = { config: Object.fromEntries(Object.entries(CONFIG).filter(([k]) => k.startsWith('pg_'))), pg: j };
    return { rows, sound, json };
  });

/** (h) and (i), each with its own `maestro ui` process and Chromium. */
async function uiFigures() {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `figures (h) and (i) drive a real browser: no Chromium at ${CHROMIUM} (install Debian's chromium, or set MAESTRO_CHROMIUM)`,
    );
  log(
    `(h) write → paint: ${CONFIG.ui_warmup} + ${CONFIG.ui_writes} messages and ${CONFIG.ui_progress_writes} progress reports, ${CONFIG.ui_gap_ms} ms apart`,
  );
  const h = await writeToPaint(CONFIG.ui_writes, CONFIG.ui_warmup, CONFIG.ui_gap_ms, CONFIG.ui_progress_writes, log);
  const i = await timeToInteractive(CONFIG.ui_messages, CONFIG.ui_loads, log);
  const sound = paintSound(h) && i.complete;
  return { h, i, rows: uiRows(h, i), sound };
}

const paintSound = (h: WritePaint) =>
  h.missed === 0 && h.shown_twice === 0 && h.progress.missed === 0 && h.count_shown === h.count_stored;

function uiRows(h: WritePaint, i: TimeToInteractive): Row[] {
  const ms = (v: number | null, digits = 0) => (v === null ? 'n/a' : `${fmt(v, digits)} ms`);
  const pair = (a: number | null, b: number | null, digits = 1) =>
    `${a === null ? 'n/a' : fmt(a, digits)} / ${b === null ? 'n/a' : fmt(b, digits)} ms`;
  const info = (figure: string, measured: string): Row => ({ figure, measured, target: '-', pass: null });
  const big = `${i.seed.agents} agents, ${fmt(i.seed.messages)} messages`;
  return [
    {
      figure: `(h) write → row painted in the page, another process (p50 / p99)`,
      measured: pair(h.p50_ms, h.p99_ms),
      target: 'p99 <= 500 ms',
      pass: h.p99_ms <= 500,
    },
    info(`(h) of it, write → row in the DOM (p50 / p99)`, pair(h.dom_p50_ms, h.dom_p99_ms)),
    info(`(h) progress write → agent's progress bar painted (p50 / p99)`, pair(h.progress.p50_ms, h.progress.p99_ms)),
    {
      figure: `(h) paint check, ${h.warmup + h.writes} messages + ${h.progress.writes} progress`,
      measured: `missed: ${h.missed + h.progress.missed}, shown twice: ${h.shown_twice}, count ${h.count_shown ?? '?'} of ${h.count_stored}`,
      target: 'missed: 0, shown twice: 0, count = stored',
      pass: paintSound(h),
    },
    {
      figure: `(i) time to interactive, ${big}: navigation → ready and answering input (median of ${i.loads.length})`,
      measured: ms(i.answered_median_ms),
      target: '<= 2000 ms',
      pass: i.answered_median_ms <= 2000,
    },
    info(`(i) of it, navigation → 'maestro:ready' mark (median)`, ms(i.ready_median_ms)),
    info(`(i) floor: the same page shell, a script that only marks ready (median)`, ms(i.floor_ready_median_ms)),
    info(
      `(i) of it, in the page: script loaded / session API / first timeline page API, done at`,
      `${ms(i.breakdown.script_end_ms)} / ${ms(i.breakdown.session_api_end_ms)} / ${ms(i.breakdown.messages_api_end_ms)}`,
    ),
    info(
      `(i) of it, in the page: session API / timeline page API took; long tasks before ready`,
      `${ms(i.breakdown.session_api_ms)} / ${ms(i.breakdown.messages_api_ms)}; ${ms(i.breakdown.long_tasks_before_ready_ms)}`,
    ),
    info(
      `(i) server alone: session view / timeline page / search / sessions`,
      `${fmt(i.server.session_view_ms, 1)} / ${fmt(i.server.messages_page_ms, 1)} / ${fmt(i.server.search_ms, 1)} / ${fmt(i.server.sessions_ms, 1)} ms`,
    ),
    info(
      `(i) search over ${fmt(i.seed.messages)} messages, Enter → results painted (first, indexing / median after)`,
      pair(i.search_first_ms, i.search_median_ms, 0),
    ),
    {
      figure: `(i) big session shown whole, every load`,
      measured: i.complete ? `${i.seed.agents} agents, ${fmt(i.seed.messages)} counted` : 'incomplete (see bench json)',
      target: `${i.seed.agents} agents, ${fmt(i.seed.messages)} counted`,
      pass: i.complete,
    },
  ];
}

const pushSound = (g: PushLatency) => g.missed === 0 && g.duplicated === 0 && g.extra_turns === 0;

function table(rows: Row[]): string[] {
  const widths = [
    Math.max(6, ...rows.map((r) => r.figure.length)),
    Math.max(8, ...rows.map((r) => r.measured.length)),
    Math.max(6, ...rows.map((r) => r.target.length)),
  ] as const;
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i as 0 | 1 | 2]) : c)).join('  ');
  return [
    line(['figure', 'measured', 'target', 'result']),
    line(widths.map((w) => '-'.repeat(w)).concat('------')),
    ...rows.map((r) => line([r.figure, r.measured, r.target, r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL'])),
  ];
}

function machine() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? null,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
  };
}

const banner = () =>
  `maestro bench — node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${os.platform()} ${os.arch()}`;

/** Runs figures alone (`run.js push`, `run.js ui`): prints their table, writes bench-<name>.json. */
async function only(name: string, measure: () => Promise<{ rows: Row[]; sound: boolean; json: object }>) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const started = Date.now();
  const { rows, sound, json } = await measure();
  process.stdout.write(`${[banner(), '', ...table(rows)].join('\n')}\n`);
  const file = path.join(RESULTS_DIR, `bench-${name}.json`);
  const out = {
    date: new Date(started).toISOString(),
    duration_s: round((Date.now() - started) / 1000, 1),
    machine: machine(),
    ...json,
    table: rows,
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), file)}\n`);
  if (!sound) process.exitCode = 1;
}

/** `run.js push`: (g) alone. */
const pushOnly = () =>
  only('push', async () => {
    const { g, floor, codex, codexFloor, rows, sound } = await pushFigures();
    const json = {
      config: { push_runs: CONFIG.push_runs },
      push: g,
      push_cli_floor: floor,
      push_codex: codex,
      push_codex_cli_floor: codexFloor,
    };
    return { rows, sound, json };
  });

/** `run.js ui`: (h) and (i) alone. */
const uiOnly = () =>
  only('ui', async () => {
    const { h, i, rows, sound } = await uiFigures();
    const json = {
      config: Object.fromEntries(Object.entries(CONFIG).filter(([k]) => k.startsWith('ui_'))),
      ui_paint: h,
      ui_interactive: i,
    };
    return { rows, sound, json };
  });

async function main() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const started = Date.now();

  const a = await writes();
  log(`(b) list on ${fmt(LIST_ROWS)} messages`);
  const buildMs = ensureListDb(log);
  const inProcess = await listInProcess(CONFIG.list_runs, CONFIG.list_warmup);
  log(`(b) CLI: ${CONFIG.cli_runs} runs of maestro msg list and of node -e ""`);
  const cli = listCli(CONFIG.cli_runs, CONFIG.cli_warmup);
  log(`(c) MCP: ${fmt(CONFIG.mcp_calls)} team_msg log calls over stdio`);
  const mcp = await mcpLogRoundTrip(CONFIG.mcp_calls, CONFIG.mcp_warmup);
  log(
    `(d) agents: ${CONFIG.spawn_runs} spawns, ${CONFIG.wake_runs} reports, ${CONFIG.concurrent_agents} concurrent agents`,
  );
  const spawn = await spawnOverhead(CONFIG.spawn_runs);
  const wake = await wakeLatency(CONFIG.wake_runs);
  const hundred = await concurrentAgents(CONFIG.concurrent_agents);
  const e = await mcpWriters();
  log(`(f) feed: ${CONFIG.feed_writes} writes followed by ${CONFIG.feed_followers} processes, then follower cost`);
  const f = await feed();
  const push = await pushFigures();
  const ui = await uiFigures();
  const across = await acrossMachinesFigures();

  const p = CONFIG.processes;
  const noLoss = a.lost === 0 && a.duplicates === 0 && a.contiguous;
  const mcpNoLoss = e.lost === 0 && e.duplicates === 0 && e.contiguous;
  const rows: Row[] = [
    { figure: `(a) store.log, 1 process`, measured: `${fmt(a.store_1_process_per_s)} msg/s`, target: '-', pass: null },
    {
      figure: `(a) store.log, ${p} processes (aggregate)`,
      measured: `${fmt(a.store_n_process_per_s)} msg/s`,
      target: '-',
      pass: null,
    },
    {
      figure: '(a) ceiling: raw better-sqlite3, same schema',
      measured: `${fmt(a.raw_ceiling_per_s)} msg/s`,
      target: '-',
      pass: null,
    },
    {
      figure: '(a) bare ceiling: plain table (info)',
      measured: `${fmt(a.bare_ceiling_per_s)} msg/s`,
      target: '-',
      pass: null,
    },
    {
      figure: `(a) ${p}-process aggregate / ceiling`,
      measured: `${fmt(a.ratio_n_to_ceiling * 100, 1)} %`,
      target: '>= 70 %',
      pass: a.ratio_n_to_ceiling >= 0.7,
    },
    {
      figure: `(a) ${p}-process loss check`,
      measured: `lost: ${a.lost}, duplicates: ${a.duplicates}`,
      target: 'lost: 0, duplicates: 0',
      pass: noLoss,
    },
    {
      figure: '(b) list in-process, median',
      measured: `${fmt(inProcess.median_ms, 3)} ms`,
      target: '<= 5 ms',
      pass: inProcess.median_ms <= 5,
    },
    { figure: '(b) list in-process, p95', measured: `${fmt(inProcess.p95_ms, 3)} ms`, target: '-', pass: null },
    { figure: '(b) CLI msg list, median', measured: `${fmt(cli.cli_median_ms, 1)} ms`, target: '-', pass: null },
    { figure: '(b) bare node -e "", median', measured: `${fmt(cli.node_median_ms, 1)} ms`, target: '-', pass: null },
    { figure: '(b) CLI / bare node', measured: `${fmt(cli.ratio, 2)} x`, target: '<= 3 x', pass: cli.ratio <= 3 },
    {
      figure: '(c) MCP team_msg log, p50',
      measured: `${fmt(mcp.p50_ms, 3)} ms`,
      target: '<= 1 ms',
      pass: mcp.p50_ms <= 1,
    },
    { figure: '(c) MCP team_msg log, p95', measured: `${fmt(mcp.p95_ms, 3)} ms`, target: '-', pass: null },
    { figure: '(c) MCP team_msg log, p99', measured: `${fmt(mcp.p99_ms, 3)} ms`, target: '-', pass: null },
    {
      figure: '(d) spawn: call to worker running, p50',
      measured: `${fmt(spawn.p50_ms, 1)} ms`,
      target: '<= 20 ms',
      pass: spawn.p50_ms <= 20,
    },
    {
      figure: '(d) spawn: call to worker running, p99',
      measured: `${fmt(spawn.p99_ms, 1)} ms`,
      target: '-',
      pass: null,
    },
    { figure: '(d) spawn_agent round trip, p50', measured: `${fmt(spawn.call_p50_ms, 1)} ms`, target: '-', pass: null },
    {
      figure: '(d) wake: report to wait_agent return, p50',
      measured: `${fmt(wake.p50_ms, 1)} ms`,
      target: '-',
      pass: null,
    },
    {
      figure: '(d) wake: report to wait_agent return, p99',
      measured: `${fmt(wake.p99_ms, 1)} ms`,
      target: '<= 50 ms',
      pass: wake.p99_ms <= 50,
    },
    {
      figure: `(d) ${hundred.agents} concurrent agents completed`,
      measured: `${hundred.completed} in ${fmt(hundred.seconds, 1)} s`,
      target: `${hundred.agents}`,
      pass: hundred.completed === hundred.agents,
    },
    {
      figure: '(d) server peak RSS with them',
      measured: `${fmt(hundred.server_peak_rss_mb, 0)} MB`,
      target: '<= 200 MB',
      pass: hundred.server_peak_rss_mb <= 200,
    },
    {
      figure: `(e) no-op MCP floor, ${e.clients} clients (aggregate)`,
      measured: `${fmt(e.floor_per_s)} calls/s`,
      target: '-',
      pass: null,
    },
    {
      figure: `(e) team_msg log, ${e.clients} clients (aggregate)`,
      measured: `${fmt(e.maestro_per_s)} msg/s`,
      target: '-',
      pass: null,
    },
    {
      figure: `(e) ${e.clients}-client team_msg log / no-op floor`,
      measured: `${fmt(e.ratio * 100, 1)} %`,
      target: '>= 80 %',
      pass: e.ratio >= 0.8,
    },
    {
      figure: `(e) write latency, ${e.writers} MCP writers, p50`,
      measured: `${fmt(e.writers_p50_ms, 1)} ms`,
      target: '-',
      pass: null,
    },
    {
      figure: `(e) write latency, ${e.writers} MCP writers, p99`,
      measured: `${fmt(e.writers_p99_ms, 1)} ms`,
      target: '<= 50 ms',
      pass: e.writers_p99_ms <= 50,
    },
    {
      figure: `(e) no-op call latency, ${e.writers} clients, p99`,
      measured: `${fmt(e.floor8_p99_ms, 1)} ms`,
      target: '-',
      pass: null,
    },
    {
      figure: `(f) feed follow latency, write to another process, p50`,
      measured: `${fmt(f.latency.p50_ms, 1)} ms`,
      target: '-',
      pass: null,
    },
    {
      figure: `(f) feed follow latency, p99`,
      measured: `${fmt(f.latency.p99_ms, 1)} ms`,
      target: '<= 20 ms',
      pass: f.latency.p99_ms <= 20 && f.latency.missed === 0,
    },
    {
      figure: '(f) store.log with 0 / 4 / 16 feed followers',
      measured: `${fmt(f.writes_per_s[0])} / ${fmt(f.writes_per_s[4])} / ${fmt(f.writes_per_s[16])} msg/s`,
      target: '-',
      pass: null,
    },
    {
      figure: '(f) cost of 4 followers on writes',
      measured: `${fmt(f.cost_4 * 100, 1)} %`,
      target: '-',
      pass: null,
    },
    {
      figure: '(f) cost of 16 followers on writes',
      measured: `${fmt(f.cost_16 * 100, 1)} %`,
      target: '<= 10 %',
      pass: f.cost_16 <= 0.1,
    },
    {
      figure: '(e) MCP writers loss check',
      measured: `lost: ${e.lost}, duplicates: ${e.duplicates}`,
      target: 'lost: 0, duplicates: 0',
      pass: mcpNoLoss,
    },
    ...push.rows,
    ...ui.rows,
    ...across.rows,
  ];

  const out = [
    banner(),
    `writes: ${fmt(a.messages)} messages per figure (${p} x ${fmt(a.per_process)} for ${p} processes), median of ${a.rounds} rounds`,
    `lost: ${a.lost}, duplicates: ${a.duplicates}${a.contiguous ? ' (seq 1..N contiguous)' : ' (seq NOT contiguous)'}`,
    `MCP writers: ${e.clients} x ${fmt(e.calls_per_client)} calls, ${e.writers} x ${fmt(e.calls_per_writer)}, each client with its own server, median of ${e.rounds} rounds`,
    '',
    ...table(rows),
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const json = {
    date: new Date(started).toISOString(),
    duration_s: round((Date.now() - started) / 1000, 1),
    machine: machine(),
    config: CONFIG,
    writes: a,
    list: { rows: LIST_ROWS, build_ms: buildMs, in_process: inProcess, cli },
    mcp,
    agents: { spawn, wake, concurrent: hundred },
    mcp_writers: e,
    feed: f,
    push: push.g,
    push_cli_floor: push.floor,
    push_codex: push.codex,
    push_codex_cli_floor: push.codexFloor,
    ui_paint: ui.h,
    ui_interactive: ui.i,
    pg: across.j,
    table: rows,
  };
  const file = path.join(RESULTS_DIR, 'bench.json');
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), file)}\n`);
  if (!noLoss || !mcpNoLoss || f.latency.missed > 0 || !push.sound || !ui.sound || !across.sound) process.exitCode = 1;
}

const ONLY: Record<string, () => Promise<void>> = { push: pushOnly, ui: uiOnly, pg: acrossMachinesOnly };
(ONLY[process.argv[2] ?? ''] ?? main)().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
