/**
 * (g) Push latency: from a worker's report to the first model request of the idle lead's next
 * turn, which maestro starts with the news (ops/team/drive.ts). The lead is a real Claude Code
 * (a user line on its stdin) or Codex (`turn/start` to its app-server) process run by a team
 * runtime in this process (createRuntime, startLead, driveTeam: the `maestro team` path), against
 * the scripted Anthropic or OpenAI server, which stamps each request as it arrives. Its workers are played through a second connection to the same database, as the
 * lead's own maestro-tools server would write them: each report is a worker's send_message to
 * its coordinator, its report_agent_job_result, or its turn ending with no report, in turn,
 * stamped just before the write. Each sample waits until the lead's turn has ended, then a gap
 * (20 ms to ~1 s, spread across samples) so that both a busy and a quiet database watcher are
 * measured. A report that starts no lead turn, or is told in two, is a correctness failure.
 * The floor: a bare Claude Code or `codex app-server` (no MCP server, no maestro prompt) from a
 * next turn written (stdin line, `turn/start`) to its model request, the same way.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nanoid } from 'nanoid';
import { agentCaller } from '../../src/agents/identity.js';
import { SELF_OWNER } from '../../src/agents/liveness.js';
import { isInTurn } from '../../src/agents/status.js';
import { claudeBackend } from '../../src/backends/claude.js';
import { CODEX_BACKENDS } from '../../src/backends/codex.js';
import { createRpcPeer } from '../../src/backends/codex-rpc.js';
import { asObject, asText } from '../../src/backends/process.js';
import { createBackendRegistry } from '../../src/backends/registry.js';
import type { Backend } from '../../src/backends/types.js';
import { resolveDbPath } from '../../src/bus/paths.js';
import { createLogger, logFilePath } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/mcp/runtime.js';
import { SHELL_USER } from '../../src/ops/caller.js';
import type { AgentDeps } from '../../src/ops/agents/deps.js';
import { sendMessage } from '../../src/ops/agents/message.js';
import { reportResult } from '../../src/ops/agents/report.js';
import { driveTeam } from '../../src/ops/team/drive.js';
import { startLead } from '../../src/ops/team/lead.js';
import { startAnthropicServer } from '../../src/scripted/anthropic.js';
import type { RecordedRequest, ScriptedServer } from '../../src/scripted/http.js';
import { CODEX_KEY_VAR, claudeOfflineEnv, codexOfflineEnv, type OfflineEnv } from '../../src/scripted/offline-env.js';
import { startOpenAIServer } from '../../src/scripted/openai.js';
import type { Script } from '../../src/scripted/script.js';
import type { AgentRecord } from '../../src/store/records.js';
import { ROOT, now, percentile, tempDir } from './common.js';

const SESSION = 'bench-push';
const BIN = path.join(ROOT, 'node_modules', '.bin');
const KINDS = ['send_message', 'report', 'turn_end'] as const;
type Kind = (typeof KINDS)[number];
/** A guard against a lead that never answers, not a speed check. */
const PATIENCE_MS = 120_000;

export type LeadBackend = 'claude' | 'codex';

/** What differs between the two leads: the CLI, the model API it speaks and how a next turn reaches it. */
const LEADS: Record<
  LeadBackend,
  {
    title: string;
    backend: Backend;
    model: (script: Script) => Promise<ScriptedServer>;
    env: (url: string) => OfflineEnv;
  }
> = {
  claude: {
    title: 'Claude Code',
    backend: claudeBackend,
    model: startAnthropicServer,
    env: (baseUrl) => claudeOfflineEnv({ baseUrl, extra: { PATH: `${BIN}:${process.env.PATH}` } }),
  },
  codex: {
    title: 'Codex',
    backend: CODEX_BACKENDS['app-server'],
    model: startOpenAIServer,
    env: (baseUrl) => codexOfflineEnv({ baseUrl, extra: { PATH: `${BIN}:${process.env.PATH}` } }),
  },
};

export interface PushLatency {
  lead: LeadBackend;
  runs: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Of the total: from the write until the team's process noticed a change (its store's notifier). */
  wake_p50_ms: number;
  wake_p99_ms: number;
  /** Of the total: from the write until maestro wrote the lead's next turn to its stdin (Codex: the `turn/start` request). */
  maestro_p50_ms: number;
  maestro_p99_ms: number;
  /** Of the total: from that line to the CLI's model request. */
  cli_p50_ms: number;
  cli_p99_ms: number;
  /** Median latency per kind of report. */
  by_kind: Record<Kind, number>;
  /** Reports that started no lead turn, or whose news was told in more than one (must be 0). */
  missed: number;
  duplicated: number;
  /** Lead turns beyond one per report (must be 0). */
  extra_turns: number;
  samples: Array<{ kind: Kind; gap_ms: number; total_ms: number; wake_ms: number; maestro_ms: number; cli_ms: number }>;
}

/** Waits (polling, the store has no wait) until `test` holds. */
async function until<T>(what: string, get: () => Promise<T | null | false>): Promise<T> {
  const deadline = now() + PATIENCE_MS;
  for (;;) {
    const value = await get();
    if (value) return value;
    if (now() > deadline) throw new Error(`push bench: ${what} within ${PATIENCE_MS} ms`);
    await sleep(2);
  }
}

/** A worker of the lead, recorded as the lead's own server records one it spawned, in its turn. */
async function worker(deps: AgentDeps, lead: AgentRecord, taskName: string): Promise<AgentRecord> {
  const agent = await deps.agents.reserve(
    {
      id: nanoid(),
      session_id: lead.session_id,
      task_name: taskName,
      nickname: null,
      agent_type: 'team_worker',
      parent_id: lead.id,
      depth: lead.depth + 1,
      path: `${lead.path}/${taskName}`,
      backend: 'command',
      command: null,
      model: null,
      reasoning_effort: null,
      cwd: lead.cwd,
      worktree: null,
      branch: null,
      ...SELF_OWNER,
      client_id: lead.client_id,
      task: 'report to the lead',
    },
    { maxOpenAgents: 100, maxDepth: 5 },
  );
  await deps.agents.beginTurn(agent.id, 'report to the lead');
  return (await deps.agents.get(agent.id))!;
}

/** Writes the report of `kind` with `marker` in it, as the worker's server would. */
async function report(deps: AgentDeps, w: AgentRecord, kind: Kind, marker: string): Promise<void> {
  switch (kind) {
    case 'send_message':
      await sendMessage(deps, agentCaller(w), { target: 'coordinator', message: marker, session_id: w.session_id });
      return;
    case 'report':
      await reportResult(deps, agentCaller(w), { summary: marker });
      return;
    case 'turn_end':
      await deps.agents.endTurn(w.id, w.turn, { status: 'completed', final_message: marker, error: null });
      return;
  }
}

/** After a sample, the worker is back in a turn for the next one. */
async function nextTurn(deps: AgentDeps, w: AgentRecord, kind: Kind): Promise<AgentRecord> {
  if (kind === 'send_message') return w;
  // A reported result was the news; the turn's ending after it is none.
  if (kind === 'report') await deps.agents.endTurn(w.id, w.turn, { status: 'completed', final_message: 'done' });
  await deps.agents.beginTurn(w.id, 'report to the lead again');
  return (await deps.agents.get(w.id))!;
}

/**
 * The lead's backend as maestro runs it, telling `wrote` each time a next turn goes to it: Claude
 * Code's stdin line and Codex's `turn/start` are both written synchronously within `nextTurn`.
 */
function timed(backend: Backend, wrote: () => void): Backend {
  return {
    ...backend,
    launch(spec, turn, emit) {
      const process = backend.launch(spec, turn, emit);
      return {
        ...process,
        nextTurn(text) {
          wrote();
          process.nextTurn(text);
        },
      };
    },
  };
}

const gapOf = (i: number) => 20 + ((i * 389) % 1000);

export interface CliFloor {
  lead: LeadBackend;
  runs: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** A bare CLI session the floor talks to: a next turn's text in, its turns counted as they end. */
interface Bare {
  say(text: string): void;
  ended(): number;
  exited(): string | null;
  close(): Promise<void>;
}

function spawnBare(bin: string, args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(path.join(BIN, bin), args, { cwd, env, stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout! });
  const close = async () => {
    child.stdin!.end();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
  const exited = () => (child.exitCode === null ? null : `${bin} exited (code ${child.exitCode})`);
  return { child, lines, close, exited };
}

/** Claude Code with stream-json input: a user line on its stdin starts a turn, a result line ends it. */
async function bareClaude(cwd: string, env: Record<string, string>): Promise<Bare> {
  const { child, lines, close, exited } = spawnBare(
    'claude',
    ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose'],
    cwd,
    env,
  );
  let ended = 0;
  lines.on('line', (line) => {
    if (line.includes('"type":"result"')) ended++;
  });
  return {
    say: (text) =>
      void child.stdin!.write(
        `${JSON.stringify({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: 'default' })}\n`,
      ),
    ended: () => ended,
    exited,
    close,
  };
}

/** `codex app-server` with one thread: `turn/start` starts a turn, `turn/completed` ends it. */
async function bareCodex(cwd: string, env: Record<string, string>): Promise<Bare> {
  const { child, lines, close, exited } = spawnBare('codex', ['app-server'], cwd, env);
  let ended = 0;
  const rpc = createRpcPeer({
    send: (line) => child.stdin!.write(`${line}\n`),
    onNotification: (method) => {
      if (method === 'turn/completed') ended++;
    },
  });
  lines.on('line', (line) => rpc.receive(line));
  child.once('exit', () => rpc.close('codex exited'));
  await rpc.request('initialize', { clientInfo: { name: 'bench', title: 'bench', version: '0' }, capabilities: null });
  rpc.notify('initialized');
  const opened = await rpc.request('thread/start', { cwd, approvalPolicy: 'never' });
  const threadId = asText(asObject(asObject(opened)?.thread)?.id);
  if (!threadId) throw new Error('push bench: codex app-server opened no thread');
  return {
    say: (text) =>
      void rpc.request('turn/start', { threadId, input: [{ type: 'text', text, text_elements: [] }] }).catch(() => {
        // codex gone: exited() tells
      }),
    ended: () => ended,
    exited,
    close,
  };
}

/** The floor: a bare CLI (no MCP server, no maestro prompt), from each next turn written to its model request. */
export async function cliFloor(runs: number, leadBackend: LeadBackend = 'claude'): Promise<CliFloor> {
  const cli = LEADS[leadBackend];
  const tmp = tempDir(`push-floor-${leadBackend}`);
  const model = await cli.model({
    conversations: [{ name: 'bare', match: () => true, steps: [], final: 'Noted.', toolless: true }],
  });
  const offline = cli.env(model.url);
  let bare: Bare | null = null;
  try {
    bare = await (leadBackend === 'claude' ? bareClaude : bareCodex)(tmp.dir, offline.env);
    const session = bare;
    const turnEnd = (count: number) =>
      until(`bare ${cli.title} ended its turn`, async () => session.ended() >= count || session.exited() !== null);
    session.say('Hello.');
    await turnEnd(1);
    const latencies: number[] = [];
    for (let i = 0; i < runs; i++) {
      await sleep(gapOf(i));
      let arrived = 0;
      const after = model.requests.length;
      const request = model.waitForRequest((r) => {
        if (r.index < after || !r.plan?.conversation) return false;
        arrived = now();
        return true;
      }, PATIENCE_MS);
      const t0 = now();
      session.say(`News ${i}.`);
      await request;
      latencies.push(arrived - t0);
      await turnEnd(i + 2);
      const gone = session.exited();
      if (gone) throw new Error(`bare ${gone}`);
    }
    return {
      lead: leadBackend,
      runs,
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      max_ms: Math.max(...latencies),
    };
  } finally {
    await bare?.close();
    await model.close();
    offline.cleanup();
    tmp.cleanup();
  }
}

/** The text the lead was sent after its last answer: what its new turn began with. */
const newTurnText = (r: RecordedRequest) => r.view!.latest;

export async function pushLatency(
  runs: number,
  log: (line: string) => void,
  leadBackend: LeadBackend = 'claude',
): Promise<PushLatency> {
  const cli = LEADS[leadBackend];
  const tmp = tempDir(`push-${leadBackend}`);
  execFileSync('git', ['init', '-q'], { cwd: tmp.dir });
  let model: ScriptedServer | null = null;
  let team: Runtime | null = null;
  let workers: Runtime | null = null;
  let cleanupHome = () => undefined as void;
  const stop = new AbortController();
  let driving: Promise<unknown> = Promise.resolve();
  try {
    // Every request that offers tools is the lead's (it is the only CLI here); each turn just ends.
    model = await cli.model({
      conversations: [{ name: 'lead', match: () => true, steps: [], final: 'Noted.' }],
    });
    const offline = cli.env(model.url);
    cleanupHome = offline.cleanup;
    // Not a worker of whatever session runs the bench (the scripted key Codex reads stays).
    const env = Object.fromEntries(
      Object.entries(offline.env).filter(([k]) => !k.startsWith('MAESTRO_') || k === CODEX_KEY_VAR),
    );
    const dbFile = resolveDbPath({ cwd: tmp.dir, env }).file;
    const logger = createLogger({ file: logFilePath(dbFile, env), name: 'maestro-bench-push' });
    const wrote: number[] = [];
    const backends = createBackendRegistry({ [leadBackend]: timed(cli.backend, () => wrote.push(now())) });
    team = await createRuntime({ dbFile, logger, env, backends, fallbackCaller: SHELL_USER });
    workers = await createRuntime({ dbFile, logger, env, fallbackCaller: SHELL_USER });
    const deps = team.deps.agents;
    const their = workers.deps.agents;

    const lead = await startLead(deps, {
      sessionId: SESSION,
      requirement: 'Acknowledge each piece of news.',
      roster: [],
      backend: leadBackend,
    });
    // One worker reports; the other stays in its turn, so that the team is never quiet.
    let w = await worker(their, lead, 'W-1');
    await worker(their, lead, 'KEEP-1');
    driving = driveTeam(deps, lead, { signal: stop.signal });
    // When the team's process hears of a change (the wake-up driveTeam waits for).
    const woken: number[] = [];
    const unsubscribe = deps.store.changes.subscribe(() => woken.push(now()));

    const idle = () =>
      until('the lead ended its turn', async () => {
        const l = await their.agents.get(lead.id);
        if (!l || l.status === 'errored' || l.status === 'shutdown')
          throw new Error(`push bench: the lead is ${l?.status ?? 'gone'}: ${l?.status_reason ?? ''}`);
        return !isInTurn(l.status) && l;
      });
    log(`(g) push ${leadBackend}: waiting for the lead's first turn (${cli.title} starting)`);
    let turns = (await idle()).turn;
    let seen = model.requests.length;
    const samples: PushLatency['samples'] = [];
    const markers: string[] = [];
    let missed = 0;
    let extra = 0;
    for (let i = 0; i < runs; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const gap = gapOf(i);
      const marker = `push-sample-${i}-${kind}`;
      markers.push(marker);
      await sleep(gap);
      let arrived = 0;
      const after = seen;
      const request = model.waitForRequest((r) => {
        if (r.index < after || r.plan?.conversation !== 'lead') return false;
        arrived = now();
        return true;
      }, PATIENCE_MS);
      const t0 = now();
      await report(their, w, kind, marker);
      const got = await request.catch(() => null);
      if (!got || !newTurnText(got).includes(marker)) {
        missed++;
        log(
          `(g) push ${leadBackend} ${i}: ${kind} ${got ? 'started a turn without its news' : 'started no lead turn'}`,
        );
      } else {
        const written = wrote.find((t) => t >= t0) ?? arrived;
        const wake = woken.find((t) => t >= t0) ?? written;
        samples.push({
          kind,
          gap_ms: gap,
          total_ms: arrived - t0,
          wake_ms: wake - t0,
          maestro_ms: written - t0,
          cli_ms: arrived - written,
        });
      }
      w = await nextTurn(their, w, kind);
      const l = await idle();
      if (l.turn !== turns + 1) {
        extra += Math.max(0, l.turn - turns - 1);
        log(`(g) push ${leadBackend} ${i}: the lead ran ${l.turn - turns} turns for one report`);
      }
      turns = l.turn;
      seen = model.requests.length;
      if ((i + 1) % 10 === 0) log(`(g) push ${leadBackend}: ${i + 1}/${runs}`);
    }
    unsubscribe();
    // Each report told once: in exactly one lead turn's opening text.
    const openings = model
      .modelRequests('lead')
      .filter((r, i, all) => r.view!.step > (all[i - 1]?.view!.step ?? -1))
      .map(newTurnText);
    const duplicated = markers.filter((m) => openings.filter((t) => t.includes(m)).length > 1).length;
    const spread = (pick: (s: PushLatency['samples'][number]) => number) => {
      const all = samples.map(pick);
      return [percentile(all, 50), percentile(all, 99)] as const;
    };
    const total = samples.map((s) => s.total_ms);
    const [wake50, wake99] = spread((s) => s.wake_ms);
    const [maestro50, maestro99] = spread((s) => s.maestro_ms);
    const [cli50, cli99] = spread((s) => s.cli_ms);
    return {
      lead: leadBackend,
      runs,
      p50_ms: percentile(total, 50),
      p99_ms: percentile(total, 99),
      max_ms: Math.max(...total),
      wake_p50_ms: wake50,
      wake_p99_ms: wake99,
      maestro_p50_ms: maestro50,
      maestro_p99_ms: maestro99,
      cli_p50_ms: cli50,
      cli_p99_ms: cli99,
      by_kind: Object.fromEntries(
        KINDS.map((k) => [
          k,
          percentile(
            samples.filter((s) => s.kind === k).map((s) => s.total_ms),
            50,
          ),
        ]),
      ) as Record<Kind, number>,
      missed,
      duplicated,
      extra_turns: extra,
      samples,
    };
  } finally {
    stop.abort();
    await driving.catch(() => undefined);
    await workers?.close();
    await team?.close();
    await model?.close();
    cleanupHome();
    tmp.cleanup();
  }
}
