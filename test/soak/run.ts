/**
 * `npm run soak`: a bounded randomised run of everything that can go wrong at once — spawns,
 * follow-ups, messages, interrupts, closes and waits from a coordinator; workers that are real
 * processes with their own maestro servers; people at a shell writing to the bus and reading a
 * shared mailbox; SIGKILLs of workers and of the coordinator's server — then an audit of the
 * database against everything that was acknowledged or delivered. Prints the figures and exits
 * non-zero on any violation.
 *
 *   node dist/test/soak/run.js [--duration <seconds>] [--seed <n>] [--json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readerLoop, readInbox, writerLoop, INBOX, type ShellOptions } from './background.js';
import { Coordinator } from './coordinator.js';
import { Ledger, checkDeliveries, checkMessages, formatId, overranWaits, type StoredMessage } from './ledger.js';
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
  json: boolean;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { durationS: 60, seed: Date.now() % 1_000_000, json: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} expects a positive number`);
      return v;
    };
    if (arg === '--duration') options.durationS = value();
    else if (arg === '--seed') options.seed = Math.floor(value());
    else if (arg === '--json') options.json = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run soak -- [--duration <seconds, default 60>] [--seed <n>] [--json] [--keep]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${arg}; allowed: --duration, --seed, --json, --keep`);
  }
  return options;
}

function project(): { dir: string; dbFile: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'maestro-soak-'));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  mkdirSync(path.join(dir, '.maestro'), { recursive: true });
  // Room for the workers' own sub-workers beside the coordinator's.
  const limits = { max_open_agents: MAX_OPEN_AGENTS * 2, turn_timeout_ms: 6000, stop_grace_ms: 300 };
  writeFileSync(path.join(dir, '.maestro', 'config.json'), JSON.stringify({ limits }));
  return { dir, dbFile: path.join(dir, '.maestro', 'maestro.db') };
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

function audit(dbFile: string, session: string, ledger: Ledger) {
  const db = new Database(dbFile, { readonly: true });
  try {
    const stored = db
      .prepare<[string], StoredMessage>('SELECT seq, summary FROM messages WHERE session_id = ? ORDER BY seq')
      .all(session);
    const inboxOwed = db
      .prepare<[string, string, string], { seq: number }>(
        `SELECT seq FROM messages WHERE session_id = ? AND (to_role = ? OR to_role = 'all') AND from_role <> ?`,
      )
      .all(session, INBOX, INBOX)
      .map((m) => formatId(m.seq));
    const messageNews = db
      .prepare<[string], { message_seq: number }>(
        `SELECT seq AS message_seq FROM messages WHERE session_id = ? AND news_for = ''`,
      )
      .all(session)
      .map((n) => formatId(n.message_seq));
    const upward = db
      .prepare<[string], { seq: number }>(
        `SELECT seq FROM messages WHERE session_id = ? AND type = 'message' AND to_role = 'coordinator' AND sender_agent_id IS NOT NULL`,
      )
      .all(session)
      .map((m) => formatId(m.seq));
    // A turn's ending is owed to a wait unless the agent had already moved on to its next turn.
    // News for a worker (about its own sub-worker) is checked for doubles only: a worker killed
    // between its wait and writing down what it got cannot say what it was given.
    const finals = db
      .prepare<[string], { key: string; excused: number }>(
        `SELECT e.agent_id || '#' || e.turn AS key, (e.turn < a.turn OR e.news_for <> '') AS excused
           FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.session_id = ? AND e.news_for IS NOT NULL`,
      )
      .all(session);
    const superseded = new Set(finals.filter((f) => f.excused).map((f) => f.key));
    const reportsWithoutNews = db
      .prepare<[], { n: number }>(
        `SELECT count(*) AS n FROM agent_turns t WHERE t.reported_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.agent_id = t.agent_id AND e.turn = t.turn AND e.news_for IS NOT NULL)`,
      )
      .get()!.n;
    const unconsumed = db
      .prepare<[{ s: string }], { n: number }>(
        // top-level news past the coordinator's cursor, not acknowledged, not stale
        `WITH cursor AS (SELECT coalesce(max(delivered_through), 0) AS through FROM news_cursors
                          WHERE session_id = @s AND recipient LIKE 'client:%'),
              news AS (SELECT e.seq FROM events e JOIN agents a ON a.id = e.agent_id
                        WHERE e.session_id = @s AND e.news_for = '' AND a.turn = e.turn
                       UNION ALL SELECT row_id FROM messages WHERE session_id = @s AND news_for = '')
         SELECT count(*) AS n FROM news, cursor WHERE news.seq > cursor.through
            AND news.seq NOT IN (SELECT seq FROM news_acks WHERE session_id = @s AND recipient LIKE 'client:%')`,
      )
      .get({ s: session })!.n;
    // The feed: every change has one place, 1..head with no gap (nothing is deleted in a soak) and
    // none twice; each agent's last status event is the status it has; no cursor is past the head.
    const places = db
      .prepare<[], { seq: number }>('SELECT row_id AS seq FROM messages UNION ALL SELECT seq FROM events ORDER BY 1')
      .all()
      .map((r) => r.seq);
    const head =
      db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'messages'`).get()?.seq ?? 0;
    const distinct = new Set(places);
    const feedGaps = head - distinct.size + places.filter((seq) => seq < 1 || seq > head).length;
    const feedDuplicates = places.length - distinct.size;
    const statusMismatches = db
      .prepare<[], { n: number }>(
        `SELECT count(*) AS n FROM agents a
          WHERE a.status IS NOT (SELECT json_extract(e.data, '$.to') FROM events e
                                  WHERE e.agent_id = a.id AND e.type = 'agent' ORDER BY e.seq DESC LIMIT 1)`,
      )
      .get()!.n;
    const cursorsPastHead = db
      .prepare<[number], { n: number }>('SELECT count(*) AS n FROM news_cursors WHERE delivered_through > ?')
      .get(head)!.n;
    const integrity = db.pragma('integrity_check', { simple: true }) as string;
    const foreignKeys = (db.pragma('foreign_key_check') as unknown[]).length;
    const spawned = db
      .prepare<[string], { depth: number; n: number }>(
        'SELECT depth, count(*) AS n FROM agents WHERE session_id = ? GROUP BY depth',
      )
      .all(session);
    const openAgents = db
      .prepare<[], { n: number }>(`SELECT count(*) AS n FROM agents WHERE status <> 'shutdown' OR pid IS NOT NULL`)
      .get()!.n;
    return {
      messages: checkMessages(ledger.committed, stored),
      inbox: checkDeliveries(inboxOwed, ledger.inboxReads),
      upward: {
        ...checkDeliveries(messageNews, ledger.waitMessages),
        withoutNews: upward.filter((id) => !messageNews.includes(id)),
      },
      finals: {
        ...checkDeliveries(
          finals.map((f) => f.key),
          ledger.waitFinished,
          superseded,
        ),
        reportsWithoutNews,
      },
      workerMail: { delivered: ledger.workerMailReads.size, duplicates: ledger.workerMailReads.repeated() },
      unconsumed,
      byCoordinator: spawned.find((r) => r.depth === 1)?.n ?? 0,
      byWorkers: spawned.filter((r) => r.depth > 1).reduce((sum, r) => sum + r.n, 0),
      feed: {
        events: places.length,
        head,
        gaps: feedGaps,
        duplicates: feedDuplicates,
        statusMismatches,
        cursorsPastHead,
      },
      integrity,
      foreignKeys,
      openAgents,
    };
  } finally {
    db.close();
  }
}

/** The least a run must have done for its audit to mean something, whatever the machine's speed. */
function coverageFloor(durationS: number): Record<string, number> {
  const scale = Math.max(1, durationS / 8);
  return {
    'server SIGKILL': Math.max(2, Math.floor(durationS / 15)),
    'worker SIGKILL': 1,
    spawn_agent: Math.ceil(6 * scale),
    wait_agent: Math.ceil(6 * scale),
    'cli log': Math.ceil(6 * scale),
  };
}

/** What the run still owes of its floor; server kills are counted by the schedule, the rest by the ledger. */
function shortOf(floor: Record<string, number>, ledger: Ledger, serverKillsDone: number): string[] {
  return Object.entries(floor)
    .filter(([kind, least]) => {
      if (kind === 'server SIGKILL') return serverKillsDone < least;
      return ledger.faults.count(kind) + ledger.operations.count(kind) < least;
    })
    .map(([kind]) => kind);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(CLI) || !existsSync(WORKER)) throw new Error('build first: npm run build');
  const say = (line: string) => process.stderr.write(`[soak] ${line}\n`);
  const { dir, dbFile } = project();
  const ackDir = path.join(dir, 'acks');
  mkdirSync(ackDir);
  const session = `soak-${options.seed}`;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !key.startsWith('MAESTRO_')) env[key] = value;
  env.MAESTRO_SESSION = session;

  const ledger = new Ledger();
  const random = seeded(options.seed);
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
  });

  const started = Date.now();
  const deadline = started + options.durationS * 1000;
  say(`${options.durationS} s, seed ${options.seed}, project ${dir}`);
  let stopping = false;
  const shell: ShellOptions = { cli: CLI, cwd: dir, env, session, ledger };
  const shells = [
    writerLoop(shell, 'cli-a', () => stopping),
    writerLoop(shell, 'cli-b', () => stopping),
    readerLoop(shell, () => stopping),
    readerLoop(shell, () => stopping),
  ];
  // The server dies about every 15 s (at least twice a run), at a random moment in each stretch.
  const kills = Math.max(2, Math.floor(options.durationS / 15));
  const stretch = (options.durationS * 1000) / (kills + 1);
  const serverKills = Array.from({ length: kills }, (_, i) => started + stretch * (i + 0.5) + random.next() * stretch);
  // The duration is a minimum: a slow machine gets through fewer steps in it, so the run goes on
  // until it has also done the work it promises to check (bounded, so a broken run still ends).
  const floor = coverageFloor(options.durationS);
  const hardStop = deadline + Math.max(150_000, options.durationS * 10_000);
  let overtime = false;
  while (Date.now() < hardStop) {
    const missing = shortOf(floor, ledger, kills - serverKills.length);
    if (Date.now() >= deadline && missing.length === 0) break;
    if (serverKills.length && Date.now() >= serverKills[0]!) {
      serverKills.shift();
      say('SIGKILL to the coordinator’s server');
      await workload.killServer();
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
  say('closing agents and collecting what is still owed');
  stopping = true;
  await Promise.all(shells);
  await workload.finish();
  for (let round = 0; round < 50 && (await readInbox(shell)) > 0; round++) {
    // drain the shared mailbox
  }
  await coordinator.close();
  const left = await orphans(dir, dbFile, 5000);
  collectWorkerAcks(ackDir, ledger);
  const result = audit(dbFile, session, ledger);
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
  const unmet = shortOf(floor, ledger, kills - serverKills.length);
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
    faults,
    faults_by_kind: Object.fromEntries([...ledger.faults.keys()].map((k) => [k, ledger.faults.count(k)])),
    server_starts: coordinator.starts,
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
      `agents spawned        ${n(result.byCoordinator)} by the coordinator, ${n(result.byWorkers)} by workers`,
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
  if (!options.keep && !failed) rmSync(dir, { recursive: true, force: true });
  else say(`project kept at ${dir}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed to run: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
