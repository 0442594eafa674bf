/**
 * (h) and (i), the dashboard: `maestro ui` runs as its own process (dist/bin/main.js) on a temp
 * project database, with a headless Chromium (Debian's, driven by playwright-core) on a session
 * view. (h) write → paint: this process writes through its own store connection, as a worker's
 * server does from its own process, and a probe in the page notes when each message's timeline
 * row, or the agent row's new progress, first appears (a MutationObserver) and then the next
 * animation frame (just before that frame is painted); both clocks are
 * `performance.timeOrigin + performance.now()` on the same machine. (i) time to interactive on a
 * session of 50 agents and 100,000 messages, seeded through the store: navigation start → the
 * page's `maestro:ready` mark, → the first moment after it that the page answers (the first
 * task queued after ready runs: input is handled between tasks), and a full-text search from Enter to its results painted; with the server's own
 * API times beside them and a floor (the same page shell whose script only marks ready, loaded
 * the same way), to show where the time goes. Chromium is launched once per figure and
 * closed at its end, as is each `maestro ui` process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../fixtures/chromium.js';
import { openSqliteStore, type SqliteStore } from '../../src/bus/sqlite-store.js';
import type { Stores } from '../../src/store/store.js';
import type { AgentRecord, NewAgent, NewMessage } from '../../src/store/records.js';
import { CLI, ROOT, median, now, percentile, round, tempDir } from './common.js';

/** Guards against a page or server that never answers, not speed checks. */
const PATIENCE_MS = 60_000;
const VIEWPORT = { width: 1400, height: 1000 };

const wallNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// The processes: `maestro ui` and Chromium

interface UiProcess {
  /** The address printed, token included. */
  url: string;
  token: string;
  origin: string;
  stop(): Promise<void>;
}

/** Starts `maestro ui --no-open` on `dbFile`; resolves with the address it prints first. */
async function startUi(dbFile: string): Promise<UiProcess> {
  const { MAESTRO_DB: _db, ...env } = process.env;
  const child = spawn(process.execPath, [CLI, 'ui', '--no-open', '--db', dbFile], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const stop = () => stopChild(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const timer = setTimeout(
        () => reject(new Error(`maestro ui printed no address in ${PATIENCE_MS} ms`)),
        PATIENCE_MS,
      );
      lines.once('line', (line) => (clearTimeout(timer), resolve(line.trim())));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`maestro ui exited with code ${code}: ${stderr.trim()}`)));
    });
    const parsed = new URL(url);
    return { url, token: parsed.searchParams.get('token') ?? '', origin: parsed.origin, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Runs `work` with `maestro ui` on `dbFile` and one Chromium; both are gone when it returns. */
async function withUiAndBrowser<T>(dbFile: string, work: (ui: UiProcess, browser: Browser) => Promise<T>): Promise<T> {
  const ui = await startUi(dbFile);
  let browser: Browser | null = null;
  try {
    browser = await launchChromium();
    return await work(ui, browser);
  } finally {
    await browser?.close();
    await ui.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The page side. These functions run inside Chromium (serialised by playwright): they use no
// outer variable, and the bench compiles without the DOM library, so the few browser globals
// they touch are typed here.

interface PageEl {
  id: string;
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): PageEl | null;
  /** A <progress> element's value. */
  value?: number;
}
interface PageWindow {
  document: {
    body: PageEl | null;
    querySelector(selector: string): PageEl | null;
    querySelectorAll(selector: string): ArrayLike<PageEl>;
    addEventListener(
      type: string,
      listener: (event: { key?: string; target?: unknown; timeStamp: number }) => void,
      capture?: boolean,
    ): void;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  requestAnimationFrame(callback: () => void): number;
  setTimeout(callback: () => void, ms: number): number;
  PerformanceObserver: new (
    callback: (list: { getEntries(): Array<{ startTime: number; duration: number }> }) => void,
  ) => {
    observe(options: Record<string, unknown>): void;
  };
  __bench?: PageProbe;
}

interface Seen {
  /** When it first appeared in the DOM, and the next animation frame after (wall clock, ms). */
  seen: number;
  painted: number | null;
}

interface PageProbe {
  /** Timeline rows by message id. */
  rows: Record<string, Seen>;
  /** `<task_name>=<progress value>` of agent rows. */
  progress: Record<string, Seen>;
  /** Ids found in two rows of the timeline at once. */
  twice: string[];
  /** When the page set body[data-ready], and when the first task queued after that ran (page time, ms). */
  ready_at: number | null;
  free_at: number | null;
  /** Long tasks on the main thread (page time, ms). */
  long_tasks: Array<{ start: number; ms: number }>;
  /** The search under way: its term, when Enter was pressed and when its rows were painted (page time). */
  search: { term: string; entered: number | null; shown: number | null; painted: number | null } | null;
}

/** Installed before the page's own script at every navigation: `watch` also notes rows (h). */
function installProbe(watch: boolean): void {
  const w = globalThis as unknown as PageWindow;
  const probe: PageProbe = {
    rows: {},
    progress: {},
    twice: [],
    ready_at: null,
    free_at: null,
    long_tasks: [],
    search: null,
  };
  w.__bench = probe;
  const wall = () => performance.timeOrigin + performance.now();
  new w.PerformanceObserver((list) => {
    for (const e of list.getEntries()) probe.long_tasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  w.document.addEventListener(
    'keydown',
    (event) => {
      const target = event.target as PageEl | undefined;
      if (event.key === 'Enter' && probe.search && target?.id === 'filter-q') probe.search.entered = event.timeStamp;
    },
    true,
  );
  new w.MutationObserver(() => {
    const at = wall();
    const fresh: Seen[] = [];
    if (probe.ready_at === null && w.document.body?.dataset.ready === 'true') {
      probe.ready_at = performance.now();
      // Input is handled between tasks: the first task after ready is when input would be.
      w.setTimeout(() => (probe.free_at = performance.now()), 0);
    }
    const search = probe.search;
    if (search && search.entered !== null && search.shown === null) {
      const count = w.document.querySelector('#timeline-count')?.textContent ?? '';
      const first = w.document.querySelector('#timeline [data-id]');
      if (count.includes('matching') && first?.textContent?.includes(search.term)) {
        search.shown = performance.now();
        w.requestAnimationFrame(() => (search.painted = performance.now()));
      }
    }
    if (!watch) return;
    const here = new Set<string>();
    for (const row of Array.from(w.document.querySelectorAll('#timeline [data-id]'))) {
      const id = row.dataset.id!;
      if (here.has(id)) probe.twice.push(id);
      here.add(id);
      if (!probe.rows[id]) fresh.push((probe.rows[id] = { seen: at, painted: null }));
    }
    for (const tr of Array.from(w.document.querySelectorAll('#agent-rows tr[data-agent]'))) {
      const bar = tr.querySelector('progress');
      if (!bar) continue;
      const key = `${tr.dataset.agent}=${bar.value}`;
      if (!probe.progress[key]) fresh.push((probe.progress[key] = { seen: at, painted: null }));
    }
    if (fresh.length)
      w.requestAnimationFrame(() => {
        const painted = wall();
        for (const s of fresh) s.painted = painted;
      });
  }).observe(w.document, { childList: true, subtree: true, attributes: true, characterData: true });
}

/** Opens the session view in a fresh context and page, the probe installed; resolves once it is ready. */
async function openSession(browser: Browser, ui: UiProcess, sessionId: string, watch: boolean): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.on('close', () => void context.close());
  await page.addInitScript(installProbe, watch);
  await page.goto(`${ui.url}#/s/${encodeURIComponent(sessionId)}`, { waitUntil: 'commit' });
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: PATIENCE_MS });
  return page;
}

const probeOf = (page: Page) => page.evaluate(() => (globalThis as unknown as PageWindow).__bench!);

/** The page's wall clock minus this process's, from the round trip with the least delay. */
async function clockSkew(page: Page): Promise<{ skew_ms: number; rtt_ms: number }> {
  let best = { skew_ms: 0, rtt_ms: Infinity };
  for (let i = 0; i < 20; i++) {
    const before = wallNow();
    const there = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = wallNow();
    if (after - before < best.rtt_ms) best = { skew_ms: there - (before + after) / 2, rtt_ms: after - before };
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Agents and messages as the store takes them

function agentRecord(sessionId: string, taskName: string, parent: AgentRecord | null, agentType: string): NewAgent {
  return {
    id: `bench-${taskName.toLowerCase()}`,
    session_id: sessionId,
    task_name: taskName,
    nickname: null,
    agent_type: agentType,
    parent_id: parent?.id ?? null,
    depth: parent ? parent.depth + 1 : 1,
    path: parent ? `${parent.path}/${taskName}` : `/${taskName}`,
    backend: 'command',
    command: null,
    model: null,
    reasoning_effort: null,
    cwd: ROOT,
    worktree: null,
    branch: null,
    // No owner: this process is no maestro server, and `maestro ui`, its child, must not
    // take itself for a worker that server is launching (agents/identity.ts).
    owner_pid: null,
    owner_start: null,
    owner_host: null,
    owner_server: null,
    client_id: null,
    task: `implement part ${taskName} of the feature and report`,
  };
}

const LIMITS = { maxOpenAgents: 1_000, maxDepth: 5 };

/** An agent in a running turn, as a server records one it spawned. */
async function runningAgent(
  tx: Stores,
  sessionId: string,
  taskName: string,
  parent: AgentRecord | null,
  agentType = 'implementer',
): Promise<AgentRecord> {
  const agent = await tx.agents.reserve(agentRecord(sessionId, taskName, parent, agentType), LIMITS);
  await tx.agents.beginTurn(agent.id, `implement part ${taskName} of the feature and report`);
  return (await tx.agents.get(agent.id))!;
}

function messageOf(
  sessionId: string,
  from: AgentRecord,
  type: string,
  summary: string,
  data: Record<string, unknown>,
): NewMessage {
  return {
    session_id: sessionId,
    from: from.task_name,
    to: 'coordinator',
    type,
    summary,
    data,
    sender_agent_id: from.id,
  };
}

// ---------------------------------------------------------------------------------------------
// (h) write → paint

export interface WritePaint {
  writes: number;
  warmup: number;
  gap_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Of it: from the write until the row was in the DOM (the frame after is the rest). */
  dom_p50_ms: number;
  dom_p99_ms: number;
  /** Writes whose row never appeared, and rows shown twice at once (both must be 0). */
  missed: number;
  shown_twice: number;
  /** The page's message count at the end against the store's (must agree). */
  count_shown: number | null;
  count_stored: number;
  progress: { writes: number; p50_ms: number; p99_ms: number; max_ms: number; missed: number };
  /** The page's clock minus this process's (not corrected for: it is within the round trip). */
  clock: { skew_ms: number; rtt_ms: number };
  samples_ms: number[];
}

const SESSION_H = 'bench-ui-paint';

export async function writeToPaint(
  writes: number,
  warmup: number,
  gapMs: number,
  progressWrites: number,
  log: (line: string) => void,
): Promise<WritePaint> {
  const tmp = tempDir('ui-paint');
  const store = openSqliteStore(tmp.file('maestro.db'));
  try {
    const { lead, worker } = await store.transaction(async (tx) => {
      const lead = await runningAgent(tx, SESSION_H, 'LEAD', null, 'team_lead');
      const worker = await runningAgent(tx, SESSION_H, 'IMPL-001', lead);
      await tx.messages.log(messageOf(SESSION_H, lead, 'message', 'the team is starting', {}));
      return { lead, worker };
    });
    return await withUiAndBrowser(tmp.file('maestro.db'), async (ui, browser) => {
      const page = await openSession(browser, ui, SESSION_H, true);
      await page.waitForSelector('#connection[data-state="live"]', { timeout: PATIENCE_MS });
      const clock = await clockSkew(page);
      log(`(h) page open, clock skew ${round(clock.skew_ms, 3)} ms (round trip ${round(clock.rtt_ms, 2)} ms)`);

      const sent = new Map<string, number>();
      const timed: string[] = [];
      for (let i = 0; i < warmup + writes; i++) {
        const at = wallNow();
        const m = await store.messages.log(
          messageOf(SESSION_H, i % 2 ? lead : worker, 'message', `write ${i + 1} of ${warmup + writes}`, { i }),
        );
        sent.set(m.id, at);
        if (i >= warmup) timed.push(m.id);
        await sleep(gapMs);
      }
      const sentProgress = new Map<string, number>();
      for (let i = 1; i <= progressWrites; i++) {
        const at = wallNow();
        await store.messages.log(
          messageOf(SESSION_H, worker, 'progress', `[IMPL-001] step ${i} (${i}%)`, {
            progress_pct: i,
            phase: `step-${i}`,
          }),
        );
        sentProgress.set(`IMPL-001=${i}`, at);
        await sleep(gapMs);
      }

      // Every row (and its frame) within the patience, or it is missed.
      const deadline = now() + 10_000;
      let probe = await probeOf(page);
      const done = (p: PageProbe) =>
        [...sent.keys()].every((id) => p.rows[id]?.painted) &&
        [...sentProgress.keys()].every((k) => p.progress[k]?.painted);
      while (!done(probe) && now() < deadline) {
        await sleep(100);
        probe = await probeOf(page);
      }
      const countText = await page.locator('#timeline-count').textContent();
      const countShown = Number((countText ?? '').match(/^([\d,]+)/)?.[1]?.replaceAll(',', '') ?? NaN);
      const countStored = (await store.messages.list(SESSION_H, {}, { limit: 1 })).total;
      await page.close();

      const latencies = timed.flatMap((id) =>
        probe.rows[id]?.painted ? [probe.rows[id].painted! - sent.get(id)!] : [],
      );
      const dom = timed.flatMap((id) => (probe.rows[id] ? [probe.rows[id].seen - sent.get(id)!] : []));
      const progress = [...sentProgress].flatMap(([k, at]) =>
        probe.progress[k]?.painted ? [probe.progress[k].painted! - at] : [],
      );
      return {
        writes,
        warmup,
        gap_ms: gapMs,
        p50_ms: percentile(latencies, 50),
        p99_ms: percentile(latencies, 99),
        max_ms: Math.max(...latencies),
        dom_p50_ms: percentile(dom, 50),
        dom_p99_ms: percentile(dom, 99),
        missed: [...sent.keys()].filter((id) => !probe.rows[id]?.painted).length,
        shown_twice: new Set(probe.twice).size,
        count_shown: Number.isFinite(countShown) ? countShown : null,
        count_stored: countStored,
        progress: {
          writes: progressWrites,
          p50_ms: percentile(progress, 50),
          p99_ms: percentile(progress, 99),
          max_ms: Math.max(...progress),
          missed: [...sentProgress.keys()].filter((k) => !probe.progress[k]?.painted).length,
        },
        clock,
        samples_ms: latencies.map((v) => round(v, 2)),
      };
    });
  } finally {
    await store.close();
    tmp.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// (i) time to interactive on a big session

const SESSION_I = 'bench-ui-big';
const LEADS = 10;
const WORKERS_PER_LEAD = 4;
/** Distinct words in the summaries, so that a search finds a known share (1 in WORDS). */
const WORDS = 97;

export interface BigSeed {
  agents: number;
  messages: number;
  blockers: number;
  seed_ms: number;
}

/** 50 agents (10 leads with 4 workers each) and `messages` messages of mixed types from them. */
async function seedBig(store: SqliteStore, messages: number): Promise<BigSeed> {
  const start = now();
  const agents = await store.transaction(async (tx) => {
    const all: AgentRecord[] = [];
    for (let l = 1; l <= LEADS; l++) {
      const lead = await runningAgent(tx, SESSION_I, `LEAD-${String(l).padStart(2, '0')}`, null, 'team_lead');
      all.push(lead);
      for (let w = 1; w <= WORKERS_PER_LEAD; w++)
        all.push(await runningAgent(tx, SESSION_I, `IMPL-${String(l).padStart(2, '0')}-${w}`, lead));
    }
    return all;
  });
  let blockers = 0;
  const BATCH = 5_000;
  for (let from = 0; from < messages; from += BATCH) {
    await store.transaction(async (tx) => {
      for (let i = from; i < Math.min(messages, from + BATCH); i++) {
        const agent = agents[(i * 7) % agents.length]!;
        const word = `widget${i % WORDS}`;
        const kind = i % 20;
        if (kind === 0) {
          blockers++;
          await tx.messages.log(
            messageOf(SESSION_I, agent, 'blocker', `[${agent.task_name}] blocked on ${word}: the schema test fails`, {
              needs: 'a decision on the schema',
            }),
          );
        } else if (kind < 12) {
          const pct = (i * 3) % 101;
          await tx.messages.log(
            messageOf(SESSION_I, agent, 'progress', `[${agent.task_name}] ${word} phase ${i % 9} (${pct}%)`, {
              progress_pct: pct,
              phase: `phase-${i % 9}`,
              key_info: `edited src/${word}.ts; tests green`,
            }),
          );
        } else if (kind < 17) {
          await tx.messages.log(
            messageOf(SESSION_I, agent, 'message', `${agent.task_name} asks about ${word} and its callers`, {}),
          );
        } else if (kind < 19) {
          await tx.messages.log(
            messageOf(SESSION_I, agent, 'state_update', `${agent.task_name} state: ${word} ready for review`, {
              files: [`src/${word}.ts`],
            }),
          );
        } else {
          await tx.messages.log(
            messageOf(SESSION_I, agent, 'task_complete', `${agent.task_name} finished ${word}`, { tests: 'green' }),
          );
        }
      }
    });
  }
  // A third of the workers finished their turn, with usage, so the table shows every kind of row.
  for (const agent of agents.filter((_, i) => i % 3 === 2)) {
    await store.agents.endTurn(agent.id, agent.turn, {
      status: 'completed',
      final_message: `${agent.task_name} done`,
      usage: { input_tokens: 120_000, cached_input_tokens: 80_000, output_tokens: 9_000, cost_usd: 0.42 },
    });
  }
  return { agents: agents.length, messages, blockers, seed_ms: now() - start };
}

/** A span in page time (ms from navigation start). */
interface Span {
  start: number;
  end: number;
}

export interface LoadTiming {
  /** Page time from navigation start (ms): the page's 'maestro:ready' mark. */
  ready_ms: number;
  /** When the first task queued after ready ran: the page would handle input then. */
  answered_ms: number;
  /** When this process's first evaluate after seeing ready ran (playwright's polling included). */
  evaluate_ms: number;
  html_end_ms: number;
  dom_content_loaded_ms: number;
  script: Span | null;
  /** The session view's and the first timeline page's API calls, from the page's resource timing. */
  session_api: Span | null;
  messages_api: Span | null;
  long_tasks: Array<{ start: number; ms: number }>;
  long_tasks_before_ready_ms: number;
  agents_shown: number;
  count_text: string;
  search_term: string;
  search_painted_ms: number | null;
  search_count_text: string;
}

export interface TimeToInteractive {
  seed: BigSeed;
  loads: LoadTiming[];
  /** Medians over the loads (the first, cold one included). */
  ready_median_ms: number;
  answered_median_ms: number;
  /** Where the time to ready goes (medians): the script loaded, each API call's span, long tasks before ready. */
  breakdown: {
    script_end_ms: number | null;
    session_api_ms: number | null;
    session_api_end_ms: number | null;
    messages_api_ms: number | null;
    messages_api_end_ms: number | null;
    long_tasks_before_ready_ms: number;
  };
  /** Enter in the search box to the results painted: the first search (the server indexes first), and the median of the others. */
  search_first_ms: number | null;
  search_median_ms: number | null;
  /** Straight to the server from this process, after the loads (ms, median of 5). */
  server: { session_view_ms: number; messages_page_ms: number; search_ms: number; sessions_ms: number };
  /** The floor: the same page shell (html, stylesheet) with a script that only says ready, in a fresh context; navigation → ready (ms, median). */
  floor_ready_median_ms: number;
  floor_samples_ms: number[];
  /** Whether every load showed the 50 agents and the message count. */
  complete: boolean;
}

interface ResourceEntry {
  name: string;
  startTime: number;
  responseEnd: number;
  domContentLoadedEventEnd?: number;
}

export async function timeToInteractive(
  messages: number,
  loads: number,
  log: (line: string) => void,
): Promise<TimeToInteractive> {
  const tmp = tempDir('ui-tti');
  try {
    log(`(i) seeding 50 agents and ${messages.toLocaleString('en')} messages`);
    const store = openSqliteStore(tmp.file('maestro.db'));
    let seed: BigSeed;
    try {
      seed = await seedBig(store, messages);
    } finally {
      await store.close();
    }
    log(`(i) seeded in ${round(seed.seed_ms / 1000, 1)} s; ${loads} loads of the session view`);
    return await withUiAndBrowser(tmp.file('maestro.db'), async (ui, browser) => {
      const timings: LoadTiming[] = [];
      const floor = await startFloor();
      const floorSamples: number[] = [];
      try {
        for (let i = 0; i < loads; i++) {
          const page = await openSession(browser, ui, SESSION_I, false);
          await page.waitForFunction(() => (globalThis as unknown as PageWindow).__bench!.free_at !== null, null, {
            timeout: PATIENCE_MS,
          });
          const timing = await page.evaluate(() => {
            const evaluated = performance.now();
            const w = globalThis as unknown as PageWindow;
            const probe = w.__bench!;
            const ready = performance.getEntriesByName('maestro:ready')[0]!.startTime;
            // Node's types know fewer entry types than the page has.
            const entries = (type: string) =>
              (performance as unknown as { getEntriesByType(t: string): ResourceEntry[] }).getEntriesByType(type);
            const nav = entries('navigation')[0]!;
            const resources = entries('resource');
            const span = (test: (path: string) => boolean) => {
              const e = resources.find((r) => test(new URL(r.name).pathname));
              return e ? { start: e.startTime, end: e.responseEnd } : null;
            };
            return {
              ready_ms: ready,
              answered_ms: probe.free_at!,
              evaluate_ms: evaluated,
              html_end_ms: nav.responseEnd,
              dom_content_loaded_ms: nav.domContentLoadedEventEnd ?? NaN,
              script: span((p) => p === '/app.js'),
              session_api: span((p) => /^\/api\/sessions\/[^/]+$/.test(p)),
              messages_api: span((p) => p.endsWith('/messages')),
              long_tasks: probe.long_tasks,
              long_tasks_before_ready_ms: probe.long_tasks.filter((t) => t.start < ready).reduce((n, t) => n + t.ms, 0),
              agents_shown: w.document.querySelectorAll('#agent-rows tr[data-agent]').length,
              count_text: w.document.querySelector('#timeline-count')?.textContent ?? '',
            };
          });
          // The search: a different word each load, so no load finds the last one's answer cached.
          const term = `widget${(i * 13 + 5) % WORDS}`;
          await page.evaluate((t) => {
            (globalThis as unknown as PageWindow).__bench!.search = {
              term: t,
              entered: null,
              shown: null,
              painted: null,
            };
          }, term);
          await page.fill('#filter-q', term);
          await page.press('#filter-q', 'Enter');
          await page.waitForFunction(
            () => (globalThis as unknown as PageWindow).__bench!.search!.painted !== null,
            null,
            {
              timeout: PATIENCE_MS,
            },
          );
          const search = (await probeOf(page)).search!;
          const searchCount = (await page.locator('#timeline-count').textContent()) ?? '';
          await page.close();
          const load: LoadTiming = {
            ...timing,
            search_term: term,
            search_painted_ms: search.painted! - search.entered!,
            search_count_text: searchCount,
          };
          timings.push(load);
          floorSamples.push(await floor.load(browser));
          log(
            `(i) load ${i + 1}/${loads}: ready ${round(load.ready_ms)} ms, answering ${round(load.answered_ms)} ms, search ${round(load.search_painted_ms ?? NaN)} ms, floor ${round(floorSamples[i]!)} ms`,
          );
        }
      } finally {
        await floor.close();
      }
      const server = await serverTimes(ui, `widget${WORDS - 1}`);
      const some = (values: Array<number | null>) => {
        const known = values.filter((v): v is number => v !== null);
        return known.length ? median(known) : null;
      };
      const searches = timings.map((t) => t.search_painted_ms);
      const stored = messages.toLocaleString('en');
      return {
        seed,
        loads: timings,
        ready_median_ms: median(timings.map((t) => t.ready_ms)),
        answered_median_ms: median(timings.map((t) => t.answered_ms)),
        breakdown: {
          script_end_ms: some(timings.map((t) => t.script?.end ?? null)),
          session_api_ms: some(timings.map((t) => (t.session_api ? t.session_api.end - t.session_api.start : null))),
          session_api_end_ms: some(timings.map((t) => t.session_api?.end ?? null)),
          messages_api_ms: some(
            timings.map((t) => (t.messages_api ? t.messages_api.end - t.messages_api.start : null)),
          ),
          messages_api_end_ms: some(timings.map((t) => t.messages_api?.end ?? null)),
          long_tasks_before_ready_ms: median(timings.map((t) => t.long_tasks_before_ready_ms)),
        },
        search_first_ms: searches[0] ?? null,
        search_median_ms: some(searches.slice(1)),
        floor_ready_median_ms: median(floorSamples),
        floor_samples_ms: floorSamples.map((v) => round(v, 1)),
        server,
        complete: timings.every(
          (t) =>
            t.agents_shown === seed.agents &&
            (t.count_text.startsWith(`${messages} `) || t.count_text.startsWith(`${stored} `)),
        ),
      };
    });
  } finally {
    tmp.cleanup();
  }
}

/**
 * The floor of a load: the dashboard's own page and stylesheet from dist/ui, served by a bare
 * node server with a script that only marks ready, so what a fresh Chromium context costs on
 * this machine (a renderer, the html, the stylesheet, one module script) is known.
 */
async function startFloor() {
  const dir = path.join(ROOT, 'dist', 'ui');
  const files: Record<string, { type: string; body: Buffer | string }> = {
    '/': { type: 'text/html', body: readFileSync(path.join(dir, 'index.html')) },
    '/app.css': { type: 'text/css', body: readFileSync(path.join(dir, 'app.css')) },
    '/favicon.svg': { type: 'image/svg+xml', body: readFileSync(path.join(dir, 'favicon.svg')) },
    '/app.js': {
      type: 'text/javascript',
      body: "document.body.dataset.ready = 'true'; performance.mark('maestro:ready');",
    },
  };
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://floor.invalid').pathname];
    response.writeHead(file ? 200 : 404, { 'Content-Type': file?.type ?? 'text/plain', 'Cache-Control': 'no-store' });
    response.end(file?.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async load(browser: Browser): Promise<number> {
      const context = await browser.newContext({ viewport: VIEWPORT });
      try {
        const page = await context.newPage();
        await page.goto(`${origin}/?token=floor#/s/floor`, { waitUntil: 'commit' });
        await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: PATIENCE_MS });
        return await page.evaluate(() => performance.getEntriesByName('maestro:ready')[0]!.startTime);
      } finally {
        await context.close();
      }
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** The API the session view calls, timed from this process (median of 5 each). */
async function serverTimes(ui: UiProcess, term: string) {
  const time = async (path: string) => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = now();
      const response = await fetch(`${ui.origin}${path}`, { headers: { Authorization: `Bearer ${ui.token}` } });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      samples.push(now() - start);
    }
    return median(samples);
  };
  const s = encodeURIComponent(SESSION_I);
  return {
    session_view_ms: await time(`/api/sessions/${s}`),
    messages_page_ms: await time(`/api/sessions/${s}/messages?limit=200`),
    search_ms: await time(`/api/sessions/${s}/messages?limit=200&q=${term}`),
    sessions_ms: await time('/api/sessions'),
  };
}
