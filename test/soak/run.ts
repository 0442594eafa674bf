/**
 * `npm run soak`: a bounded randomised run of everything that can go wrong at once — spawns,
 * follow-ups, messages, interrupts, closes and waits from a coordinator; workers that are real
 * processes with their own maestro servers; people at a shell writing to the bus and reading a
 * shared mailbox; SIGKILLs of workers and of the coordinator's server — then an audit of the
 * database against everything that was acknowledged or delivered. Prints the figures and exits
 * non-zero on any violation.
 *
 * With --postgres the team is on a PostgreSQL server the run starts, across two "machines": the
 * coordinator's (machine-a) and a `maestro host --name b` (machine-b, a checkout of its own) that
 * runs about half the workers; the host is SIGKILLed and started again, and the database server
 * crashes (immediate shutdown) and comes back, on top of everything else.
 *
 *   node dist/test/soak/run.js [--duration <seconds>] [--seed <n>] [--postgres] [--json] [--keep]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDatabase, startPostgres, type PgServer } from '../helpers/postgres.js';
import { audit, postgresSource, sqliteSource } from './audit.js';
import { readerLoop, readInbox, writerLoop, type ShellOptions } from './background.js';
import { Coordinator } from './coordinator.js';
import { Host } from './host.js';
import { Ledger, overranWaits } from './ledger.js';
import { orphans } from './processes.js';
import { seeded } from './random.js';
import { Workload } from './workload.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/bin/main.js');
const WORKER = path.join(ROOT, 'dist/test/fixtures/mcp-worker.js');
/** What scheduling on a loaded machine may add to a wait before it counts as overrunning. */
const WAIT_SLACK_MS = 1000;
const MAX_OPEN_AGENTS = 6;

interface Options {
  durationS: number;
  seed: number;
  postgres: boolean;
  json: boolean;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { durationS: 60, seed: Date.now() % 1_000_000, postgres: false, json: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} expects a positive number`);
      return v;
    };
    if (arg === '--duration') options.durationS = value();
    else if (arg === '--seed') options.seed = Math.floor(value());
    else if (arg === '--postgres') options.postgres = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run soak -- [--duration <seconds, default 60>] [--seed <n>] [--postgres] [--json] [--keep]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${arg}; allowed: --duration, --seed, --postgres, --json, --keep`);
  }
  return options;
}

/** Room for the workers' own sub-workers beside the coordinator's; hosts heartbeat fast so a lost one is seen in a soak. */
const LIMITS = {
  max_open_agents: MAX_OPEN_AGENTS * 2,
  turn_timeout_ms: 6000,
  stop_grace_ms: 300,
  host_heartbeat_ms: 300,
  host_lost_ms: 2000,
};

/** A git checkout with maestro's configuration: the database is its own file, or `database`. */
function checkout(prefix: string, database?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  mkdirSync(path.join(dir, '.maestro'), { recursive: true });
  writeFileSync(
    path.join(dir, '.maestro', 'config.json'),
    JSON.stringify({ limits: LIMITS, ...(database ? { database } : {}) }),
  );
  return dir;
}

/** What workers acknowledged, from their ack files (written only after the server confirmed). */
function collectWorkerAcks(ackDir: string, ledger: Ledger): void {
  for (const file of readdirSync(ackDir)) {
    for (const line of readFileSync(path.join(ackDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const ack = JSON.parse(line) as {
        agent: string;
        op: string;
        id?: string;
        summary?: string;
        ids?: string[];
        finished?: string[];
      };
      if (ack.op === 'wait') for (const key of ack.finished ?? []) ledger.waitFinished.add(key);
      if ((ack.op === 'log' || ack.op === 'send') && ack.id && ack.summary) ledger.commit(ack.summary, ack.id, ack.op);
      // Per reader: a broadcast reaches every worker's mailbox, once each.
      if (ack.op === 'mail') for (const id of ack.ids ?? []) ledger.workerMailReads.add(`${ack.agent} ${id}`);
    }
  }
}

/** The least a run must have done for its audit to mean something, whatever the machine's speed. */
function coverageFloor(durationS: number): Record<string, number> {
  const scale = Math.max(1, durationS / 8);
  return {
    'worker SIGKILL': 1,
    spawn_agent: Math.ceil(6 * scale),
    wait_agent: Math.ceil(6 * scale),
    'cli log': Math.ceil(6 * scale),
  };
}

/** A fault the run injects at moments it draws up front, spread over the duration. */
interface Scheduled {
  kind: string;
  at: number[];
  /** Does it; what it returns is awaited before the next one (a recovery may go on meanwhile). */
  inject: () => Promise<void>;
}

function moments(random: ReturnType<typeof seeded>, started: number, durationS: number, count: number): number[] {
  const stretch = (durationS * 1000) / (count + 1);
  return Array.from({ length: count }, (_, i) => started + stretch * (i + 0.5) + random.next() * stretch);
}

/** What the run still owes: scheduled faults not yet injected, and the floor's operations. */
function shortOf(floor: Record<string, number>, ledger: Ledger, scheduled: Scheduled[]): string[] {
  return [
    ...scheduled.filter((f) => f.at.length > 0).map((f) => f.kind),
    ...Object.entries(floor)
      .filter(([kind, least]) => ledger.faults.count(kind) + ledger.operations.count(kind) < least)
      .map(([kind]) => kind),
  ];
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(CLI) || !existsSync(WORKER)) throw new Error('build first: npm run build');
  const say = (line: string) => process.stderr.write(`[soak] ${line}\n`);
  const session = `soak-${options.seed}`;
  let server: PgServer | null = null;
  let url: string | undefined;
  if (options.postgres) {
    server = await startPostgres();
    url = await freshDatabase(server, 'soak');
  }
  const dir = checkout('maestro-soak-', url);
  const hostDir = url ? checkout('maestro-soak-b-', url) : null;
  const dbFile = path.join(dir, '.maestro', 'maestro.db');
  const ackDir = path.join(dir, 'acks');
  mkdirSync(ackDir);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !key.startsWith('MAESTRO_')) env[key] = value;
  env.MAESTRO_SESSION = session;
  if (url) env.MAESTRO_HOST = 'machine-a';

  const ledger = new Ledger();
  const random = seeded(options.seed);
  const host = hostDir
    ? new Host({ cli: CLI, cwd: hostDir, env: { ...env, MAESTRO_HOST: 'machine-b' }, name: 'b' })
    : null;
  await host?.start();
  const coordinator = new Coordinator({ cli: CLI, cwd: dir, env, callTimeoutMs: 60_000 });
  await coordinator.start();
  const workload = new Workload({
    coordinator,
    ledger,
    random,
    session,
    workerScript: WORKER,
    ackDir,
    maxOpenAgents: MAX_OPEN_AGENTS,
    maxWaitMs: 1500,
    hosts: host ? ['b'] : [],
  });

  const started = Date.now();
  const deadline = started + options.durationS * 1000;
  say(`${options.durationS} s, seed ${options.seed}, project ${dir}${url ? `, PostgreSQL ${server!.version}` : ''}`);
  let stopping = false;
  const shell: ShellOptions = { cli: CLI, cwd: dir, env, session, ledger };
  const shells = [
    writerLoop(shell, 'cli-a', () => stopping),
    writerLoop(shell, 'cli-b', () => stopping),
    readerLoop(shell, () => stopping),
    readerLoop(shell, () => stopping),
  ];
  // Recoveries under way (a host starting again, the database coming back) while the run goes on.
  const recovering: Promise<void>[] = [];
  const pause = (from: number, to: number) => new Promise((resolve) => setTimeout(resolve, random.int(from, to)));
  // The server dies about every 15 s (at least twice a run); on PostgreSQL the host about every
  // 20 s, sometimes for longer than it may be silent (then it is lost, and found again), and the
  // database server crashes about every 30 s, each at a random moment in its stretch.
  const scheduled: Scheduled[] = [
    {
      kind: 'server SIGKILL',
      at: moments(random, started, options.durationS, Math.max(2, Math.floor(options.durationS / 15))),
      inject: () => workload.killServer(),
    },
  ];
  if (host && server) {
    const db = server;
    scheduled.push(
      {
        kind: 'host SIGKILL',
        at: moments(random, started, options.durationS, Math.max(1, Math.floor(options.durationS / 20))),
        inject: async () => {
          await host.kill();
          recovering.push(pause(0, LIMITS.host_lost_ms * 2).then(() => host.start()));
        },
      },
      {
        kind: 'database restart',
        at: moments(random, started, options.durationS, Math.max(1, Math.floor(options.durationS / 30))),
        inject: async () => {
          await db.crash();
          recovering.push(pause(100, 1500).then(() => db.restart()));
        },
      },
    );
  }
  // The duration is a minimum: a slow machine gets through fewer steps in it, so the run goes on
  // until it has also done the work it promises to check (bounded, so a broken run still ends).
  const floor = coverageFloor(options.durationS);
  const hardStop = deadline + Math.max(150_000, options.durationS * 10_000);
  let overtime = false;
  while (Date.now() < hardStop) {
    const missing = shortOf(floor, ledger, scheduled);
    if (Date.now() >= deadline && missing.length === 0) break;
    const due = scheduled.find((f) => f.at.length > 0 && Date.now() >= f.at[0]!);
    if (due) {
      due.at.shift();
      // One fault at a time: the last recovery is over before the next fault.
      await Promise.all(recovering.splice(0));
      say(due.kind);
      ledger.faults.add(due.kind);
      await due.inject();
      continue;
    }
    if (Date.now() >= deadline) {
      if (!overtime) say(`past ${options.durationS} s and still owed: ${missing.join(', ')}`);
      overtime = true;
      // What chance has not brought by now is done on purpose.
      if (missing.includes('worker SIGKILL')) await workload.killALongWorker().catch(() => undefined);
    }
    await workload.step().catch(() => undefined);
  }
  await Promise.all(recovering.splice(0));
  say('closing agents and collecting what is still owed');
  stopping = true;
  await Promise.all(shells);
  await workload.finish();
  for (let round = 0; round < 50 && (await readInbox(shell)) > 0; round++) {
    // drain the shared mailbox
  }
  await coordinator.close();
  await host?.stop();
  const left = await orphans(hostDir ? [dir, hostDir] : [dir], url ?? dbFile, 5000);
  collectWorkerAcks(ackDir, ledger);
  const source = url ? await postgresSource(url) : sqliteSource(dbFile);
  const result = await audit(source, session, ledger).finally(() => source.close());
  await server?.stop();
  const waits = overranWaits(ledger.waits, WAIT_SLACK_MS);

  const lost =
    result.messages.lost.length +
    result.inbox.lost.length +
    result.upward.lost.length +
    result.upward.withoutNews.length +
    result.finals.lost.length +
    result.finals.reportsWithoutNews;
  const duplicates =
    result.messages.duplicates.length +
    result.inbox.duplicates.length +
    result.upward.duplicates.length +
    result.finals.duplicates.length +
    result.workerMail.duplicates.length;
  const strangers = result.inbox.strangers.length + result.upward.strangers.length + result.finals.strangers.length;
  const operations = [...ledger.operations.keys()].reduce((n, k) => n + ledger.operations.count(k), 0);
  const faults = [...ledger.faults.keys()].reduce((n, k) => n + ledger.faults.count(k), 0);
  const violations = [...ledger.violations];
  const unmet = shortOf(floor, ledger, scheduled);
  if (unmet.length) violations.push(`the run could not do its least work in time: ${unmet.join(', ')} short`);
  if (result.messages.gaps.length)
    violations.push(`message ids skipped: ${result.messages.gaps.slice(0, 10).join(', ')}`);
  if (strangers) violations.push(`${strangers} deliveries of something never owed`);
  if (result.unconsumed) violations.push(`${result.unconsumed} pieces of news never delivered`);
  if (result.foreignKeys) violations.push(`${result.foreignKeys} foreign key violations`);
  if (result.feed.gaps || result.feed.duplicates)
    violations.push(`the event feed is not 1..${result.feed.head} once each (${result.feed.events} events)`);
  if (result.feed.statusMismatches)
    violations.push(`${result.feed.statusMismatches} agents whose last status event is not their status`);
  if (result.feed.cursorsPastHead) violations.push(`${result.feed.cursorsPastHead} news cursors past the feed's head`);
  if (result.openAgents) violations.push(`${result.openAgents} agents still open or holding a process after the end`);

  const report = {
    seed: options.seed,
    duration_s: Math.round((Date.now() - started) / 100) / 10,
    operations,
    operations_by_kind: Object.fromEntries([...ledger.operations.keys()].map((k) => [k, ledger.operations.count(k)])),
    refused_by_rule: Object.fromEntries([...ledger.refusals.keys()].map((k) => [k, ledger.refusals.count(k)])),
    refused_while_database_away: Object.fromEntries(
      [...ledger.refusedWhileAway.keys()].map((k) => [k, ledger.refusedWhileAway.count(k)]),
    ),
    faults,
    faults_by_kind: Object.fromEntries([...ledger.faults.keys()].map((k) => [k, ledger.faults.count(k)])),
    server_starts: coordinator.starts,
    host_starts: host?.starts ?? 0,
    engine: url ? 'postgresql' : 'sqlite',
    agents_spawned: { by_coordinator: result.byCoordinator, by_workers: result.byWorkers },
    messages_committed: result.messages.committed,
    messages_stored: result.messages.stored,
    feed_events: result.feed.events,
    mailbox_deliveries: ledger.inboxReads.size,
    completions_delivered: ledger.waitFinished.size,
    messages_to_coordinator_delivered: ledger.waitMessages.size,
    worker_mail_delivered: result.workerMail.delivered,
    lost,
    duplicates,
    orphans: left.length,
    waits: waits.count,
    waits_overran: waits.overran,
    worst_wait_overrun_ms: Math.round(waits.worstMs),
    integrity: result.integrity,
    violations,
    detail: {
      first_refusals: Object.fromEntries(ledger.firstRefusal),
      lost_messages: result.messages.lost.slice(0, 20),
      lost_mailbox: result.inbox.lost.slice(0, 20),
      lost_to_coordinator: [...result.upward.lost, ...result.upward.withoutNews].slice(0, 20),
      lost_completions: result.finals.lost.slice(0, 20),
      duplicate_messages: result.messages.duplicates.slice(0, 20),
      duplicate_deliveries: [
        ...result.inbox.duplicates,
        ...result.upward.duplicates,
        ...result.finals.duplicates,
        ...result.workerMail.duplicates,
      ].slice(0, 20),
      strangers: [...result.inbox.strangers, ...result.upward.strangers, ...result.finals.strangers].slice(0, 20),
      orphans: left.slice(0, 20),
      still_open: result.stillOpen.slice(0, 20),
    },
  };
  const failed =
    lost > 0 ||
    duplicates > 0 ||
    left.length > 0 ||
    waits.overran > 0 ||
    result.integrity !== 'ok' ||
    violations.length > 0;

  if (options.json) process.stdout.write(`${JSON.stringify({ ...report, pass: !failed }, null, 2)}\n`);
  else {
    const n = (v: number) => v.toLocaleString('en');
    const kinds = (o: Record<string, number>) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ');
    const lines = [
      `maestro soak: ${report.duration_s} s, seed ${report.seed}`,
      `operations done       ${n(operations)}  (${kinds(report.operations_by_kind)})`,
      `refused by the rules  ${n(Object.values(report.refused_by_rule).reduce((a, b) => a + b, 0))}  (${kinds(report.refused_by_rule) || 'none'})`,
      ...(url
        ? [
            `refused, database away ${n(Object.values(report.refused_while_database_away).reduce((a, b) => a + b, 0))}  (${kinds(report.refused_while_database_away) || 'none'})`,
          ]
        : []),
      `agents spawned        ${n(result.byCoordinator)} by the coordinator, ${n(result.byWorkers)} by workers${host ? ` (${n(ledger.operations.count('spawn_agent on a host'))} placed on host b)` : ''}`,
      `faults injected       ${n(faults)}  (${kinds(report.faults_by_kind)})`,
      `messages committed    ${n(report.messages_committed)}  (stored ${n(report.messages_stored)})`,
      `event feed            ${n(report.feed_events)} events, 1..${n(result.feed.head)} with no gap and none twice`,
      `deliveries checked    mailbox ${n(report.mailbox_deliveries)}, completions ${n(report.completions_delivered)}, messages to coordinator ${n(report.messages_to_coordinator_delivered)}, worker mail ${n(report.worker_mail_delivered)}`,
      `messages lost         ${n(lost)}`,
      `duplicates            ${n(duplicates)}`,
      `orphan processes      ${n(left.length)}`,
      `waits overran timeout ${n(waits.overran)}  (of ${n(waits.count)}; worst ${report.worst_wait_overrun_ms} ms past its timeout, allowed ${WAIT_SLACK_MS} ms)`,
      `integrity check       ${result.integrity}`,
      ...violations.slice(0, 20).map((v) => `violation: ${v}`),
      failed ? `FAIL ${JSON.stringify(report.detail)}` : 'PASS',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  const checkouts = hostDir ? [dir, hostDir] : [dir];
  if (!options.keep && !failed) for (const d of checkouts) rmSync(d, { recursive: true, force: true });
  else say(`project kept at ${checkouts.join(' and ')}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed to run: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
