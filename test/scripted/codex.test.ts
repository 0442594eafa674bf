/**
 * Facts about `codex exec` 0.169.0 as a worker, established by running the real binary offline
 * against the scripted Responses server with the real `maestro mcp` given on the command line
 * (`-c mcp_servers.…`, no config file edited). FACTS.md (test/fixtures/recorded/) points here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/project.js';
import { codexOfflineEnv, startOpenAIServer, type Script, type ScriptedServer } from '../../src/scripted/index.js';
import {
  CODEX,
  MAESTRO,
  busMessages,
  codexMcpOverrides,
  pidsWith,
  record,
  run,
  scratch,
  sleep,
  stop,
  type Line,
  type Run,
} from './harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const APPROVE = ['-c', 'mcp_servers.maestro-tools.default_tools_approval_mode="approve"'];

interface Setup {
  server: ScriptedServer;
  dir: string;
  home: string;
  db: string;
  env: Record<string, string>;
  /** `codex exec --json --skip-git-repo-check <maestro overrides> <extra…>`, stdin closed unless `keepStdin`. */
  exec(extra: string[], options?: { keepStdin?: boolean }): Run;
}

async function setup(
  script: Script,
  options: { server?: ScriptedServer; env?: Record<string, string> } = {},
): Promise<Setup> {
  const { dir, cleanup } = scratch();
  cleanups.push(cleanup);
  const server = options.server ?? (await startOpenAIServer(script));
  if (!options.server) cleanups.push(() => server.close());
  const offline = codexOfflineEnv({ baseUrl: server.url, extra: options.env ?? {} });
  cleanups.push(offline.cleanup);
  const db = path.join(dir, 'bus.db');
  return {
    server,
    dir,
    home: offline.home,
    db,
    env: offline.env,
    exec(extra, { keepStdin = false } = {}) {
      const r = run(CODEX, ['exec', '--json', '--skip-git-repo-check', ...codexMcpOverrides(db), ...extra], {
        env: offline.env,
        cwd: dir,
        detached: true, // so cleanup can kill the native codex behind the npm shim too
      });
      if (!keepStdin) r.proc.stdin.end();
      cleanups.push(() => stop(r));
      return r;
    },
  };
}

const logThenFinish: Script = {
  conversations: [
    {
      name: 'worker',
      match: { user: /task (?<task>IMPL-\d+) in session (?<session>[\w-]+)/ },
      steps: [
        {
          text: 'Logging progress.',
          calls: [
            {
              tool: 'team_msg',
              input: {
                operation: 'log',
                session_id: '{{session}}',
                from: '{{task}}',
                type: 'progress',
                summary: 'hello',
              },
            },
          ],
        },
        { text: '{{task}} finished.' },
        { text: 'second turn done' },
      ],
    },
  ],
};

const toolItem = (r: Run) => r.lines.find((l) => l.type === 'item.completed' && l.item.type === 'mcp_tool_call')?.item;

describe('codex exec worker', () => {
  it('8. runs a turn that calls team_msg via -c mcp_servers overrides, approved per server; pins the JSON event shapes', async () => {
    const s = await setup(logThenFinish);
    const r = s.exec([...APPROVE, 'You are task IMPL-001 in session s1. Log progress.']);
    expect(await r.exited).toEqual({ code: 0, signal: null });
    const types = r.lines.map((l) => (l.type.startsWith('item.') ? `${l.type}:${l.item.type}` : l.type));
    expect(types).toEqual([
      'thread.started',
      'item.completed:error', // "Model metadata for `scripted` not found…": harmless, not a failure
      'turn.started',
      'item.completed:agent_message',
      'item.started:mcp_tool_call',
      'item.completed:mcp_tool_call',
      'item.completed:agent_message',
      'turn.completed',
    ]);
    expect(r.lines[0]!.thread_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.lines[1]!.item.message).toMatch(/^Model metadata for `scripted` not found/);
    expect(r.lines[3]).toEqual({
      type: 'item.completed',
      item: { id: 'item_1', type: 'agent_message', text: 'Logging progress.' },
    });
    const call = {
      server: 'maestro-tools',
      tool: 'team_msg',
      arguments: { operation: 'log', session_id: 's1', from: 'IMPL-001', type: 'progress', summary: 'hello' },
    };
    expect(r.lines[4]!.item).toEqual({
      id: 'item_2',
      type: 'mcp_tool_call',
      ...call,
      result: null,
      error: null,
      status: 'in_progress',
    });
    expect(r.lines[5]!.item).toMatchObject({ id: 'item_2', ...call, error: null, status: 'completed' });
    expect(r.lines[5]!.item.result.content[0].text).toMatch(/^Logged in session s1: MSG-001/);
    expect(r.lines[5]!.item.result.structured_content).toMatchObject({ operation: 'log', id: 'MSG-001' });
    expect(r.lines[6]!.item.text).toBe('IMPL-001 finished.'); // the final text = the last agent_message
    expect(r.lines[7]).toEqual({
      type: 'turn.completed',
      usage: {
        input_tokens: expect.any(Number),
        cached_input_tokens: 0,
        cache_write_input_tokens: 0,
        output_tokens: expect.any(Number),
        reasoning_output_tokens: 0,
      },
    });
    expect(busMessages(s.db, 's1')).toMatchObject([{ id: 'MSG-001', from: 'IMPL-001', summary: 'hello' }]);

    // On the wire: the MCP tool is a `namespace` tool; the call item goes back with its output next time.
    const [first, second] = s.server.requests;
    expect(first!.body.tools).toContainEqual(
      expect.objectContaining({
        type: 'namespace',
        name: 'mcp__maestro_tools',
        tools: expect.arrayContaining([expect.objectContaining({ type: 'function', name: 'team_msg' })]),
      }),
    );
    expect(first!.headers.authorization).toBe('Bearer sk-scripted');
    const items = second!.body.input.slice(-3);
    expect(items.map((i: Line) => i.type)).toEqual(['message', 'function_call', 'function_call_output']);
    expect(items[1]).toMatchObject({ namespace: 'mcp__maestro_tools', name: 'team_msg' });
    // What the model sees of the result: a wall-time header and the structuredContent as JSON (not the text content).
    expect(items[2].output).toMatch(
      /^Wall time: [\d.]+ seconds\nOutput:\n\{"operation":"log","session_id":"s1","id":"MSG-001"/,
    );
    expect(s.server.requests.map((q) => q.path)).toEqual(['/v1/responses', '/v1/responses']); // nothing else asked
    console.info(`codex: spawn → first model request ${first!.at - r.startedAt} ms; whole exec ${r.times.at(-1)} ms`);
    record('codex-turn.jsonl', r.stdout(), { '<cwd>': s.dir, '<home>': s.home });
  });

  it('8b. approval: without configuration the call fails; per-server or per-tool approval_mode works; approval_policy does not', async () => {
    const server = await startOpenAIServer(logThenFinish);
    cleanups.push(() => server.close());
    const attempt = async (extra: string[]) => {
      const s = await setup(logThenFinish, { server });
      const r = s.exec([...extra, 'You are task IMPL-008 in session s8.']);
      const exit = await r.exited;
      const item = toolItem(r);
      if (!item && exit.code === 0)
        console.warn(
          'no tool call item',
          extra,
          r.stdout(),
          r.stderr(),
          JSON.stringify(s.server.requests.at(-1)?.plan),
        );
      return { exit, item, stderr: r.stderr() };
    };
    const [none, perServer, perTool, onRequest, untrusted, bypass] = await Promise.all([
      attempt([]),
      attempt(APPROVE),
      attempt(['-c', 'mcp_servers.maestro-tools.tools.team_msg.approval_mode="approve"']),
      attempt(['-c', 'approval_policy="on-request"']),
      attempt(['-c', 'approval_policy="untrusted"']),
      attempt(['--dangerously-bypass-approvals-and-sandbox']),
    ]);
    const refused = {
      status: 'failed',
      result: null,
      error: { message: 'MCP tool call requires approval, but approval policy is never' },
    };
    expect(none.item).toMatchObject(refused);
    expect(none.exit.code).toBe(0); // the turn still completes
    expect(onRequest.item).toMatchObject(refused); // exec runs with approval policy "never" whatever is configured
    for (const ok of [perServer, perTool, bypass]) expect(ok.item).toMatchObject({ status: 'completed', error: null });
    expect(untrusted.exit.code).toBe(1);
    expect(untrusted.stderr).toContain('approval_policy = "untrusted" is no longer supported');
  });

  it('8c. a server that starts slower than ~1 s is left out of the first request unless it is `required`', async () => {
    const server = await startOpenAIServer(logThenFinish);
    cleanups.push(() => server.close());
    const slow = async (required: boolean, command = `sleep 1.5; exec '${process.execPath}' '${MAESTRO}' mcp`) => {
      const s = await setup(logThenFinish, { server });
      const r = s.exec([
        ...APPROVE,
        '-c',
        'mcp_servers.maestro-tools.command="sh"',
        '-c',
        `mcp_servers.maestro-tools.args=["-c", ${JSON.stringify(command)}]`,
        '-c',
        `mcp_servers.maestro-tools.required=${required}`,
        `You are task IMPL-008 in session s8-${required}.`,
      ]);
      const exit = await r.exited;
      const first = server.requests.find((q) => q.view?.firstUser.includes(`s8-${required}`) && q.at >= r.startedAt);
      return { exit, r, offered: first?.view?.tools.includes('mcp__maestro_tools__team_msg'), item: toolItem(r) };
    };
    const [optional, required] = await Promise.all([slow(false), slow(true)]);
    expect(optional.offered).toBe(false);
    expect(optional.item).toBeUndefined(); // the scripted call to team_msg went nowhere:
    expect(optional.r.stderr()).toContain('unsupported call: team_msg');
    expect(required.offered).toBe(true);
    expect(required.item).toMatchObject({ status: 'completed' });
    // A required server that fails to start ends the run before any model request.
    const broken = await slow(true, 'exit 3');
    expect(broken.exit.code).toBe(1);
    expect(broken.offered).toBeUndefined();
    expect(broken.r.stderr()).toMatch(/required MCP servers? failed to initialize/i);
    console.info(
      `codex, required server failed: ${broken.r
        .stderr()
        .split('\n')
        .find((l) => /required/i.test(l))}`,
    );
  });

  it('9. `codex exec … resume <thread_id> <prompt>` keeps the thread id and sends the earlier history', async () => {
    const s = await setup(logThenFinish);
    const first = s.exec([...APPROVE, 'You are task IMPL-009 in session s9.']);
    await first.exited;
    const thread = first.lines[0]!.thread_id;
    const second = s.exec([...APPROVE, 'resume', thread, 'Next: the second task.']);
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.lines[0]).toEqual({ type: 'thread.started', thread_id: thread });
    expect(second.lines.at(-2)!.item).toMatchObject({ type: 'agent_message', text: 'second turn done' });
    const request = s.server.requests.at(-1)!;
    const kinds = request.body.input.map((i: Line) => (i.type === 'message' ? `${i.role}` : i.type));
    expect(kinds.slice(-6)).toEqual([
      'user',
      'assistant',
      'function_call',
      'function_call_output',
      'assistant',
      'user',
    ]);
    expect(request.view!.userTexts.at(-1)).toBe('Next: the second task.');
    expect(request.view!.firstUser).toBe('You are task IMPL-009 in session s9.');
    // Options (the -c overrides included) go before `resume`.
    console.info(`codex resume: spawn → model request ${request.at - second.startedAt} ms`);
  });

  it('10. SIGINT exits 1 and SIGTERM kills it, with no further events; the MCP child goes too', async () => {
    const server = await startOpenAIServer({
      conversations: [{ name: 'w', match: { user: /IMPL-010/ }, steps: [{ text: 'slow', delayMs: 10_000 }] }],
    });
    cleanups.push(() => server.close());
    const stopWith = async (signal: NodeJS.Signals) => {
      const s = await setup({ conversations: [] }, { server });
      const r = s.exec([...APPROVE, `task IMPL-010 ${signal}`]);
      const pending = await server.waitForRequest((q) => q.view?.firstUser.includes(signal) ?? false);
      await sleep(100);
      expect(pidsWith(s.db).length).toBeGreaterThan(0);
      const at = Date.now();
      r.proc.kill(signal);
      const exit = await r.exited;
      const ms = Date.now() - at;
      await sleep(200);
      return { exit, ms, last: r.lines.at(-1)!.type, aborted: pending.aborted, mcpLeft: pidsWith(s.db).length };
    };
    const sigint = await stopWith('SIGINT');
    const sigterm = await stopWith('SIGTERM');
    expect(sigint).toMatchObject({ exit: { code: 1, signal: null }, last: 'turn.started', aborted: true, mcpLeft: 0 });
    expect(sigterm).toMatchObject({
      exit: { code: null, signal: 'SIGTERM' },
      last: 'turn.started',
      aborted: true,
      mcpLeft: 0,
    });
    console.info(`codex: SIGINT → exit ${sigint.ms} ms, SIGTERM → exit ${sigterm.ms} ms`);
  });

  it('10b. SIGKILL to the npm shim (node_modules/.bin/codex is a Node script on Node 20) orphans the native codex; killing the process group does not', async () => {
    const s = await setup({
      conversations: [{ name: 'w', match: { user: /IMPL-010b/ }, steps: [{ text: 'slow', delayMs: 10_000 }] }],
    });
    const marker = `IMPL-010b-${process.pid}-${Date.now()}`;
    const r = s.exec([...APPROVE, `task ${marker}`]); // started in a process group of its own
    await s.server.waitForRequest((q) => q.view?.firstUser.includes(marker) ?? false);
    const shim = r.proc.pid!;
    r.proc.kill('SIGKILL');
    await new Promise((resolve) =>
      r.proc.exitCode === null && r.proc.signalCode === null ? r.proc.once('exit', resolve) : resolve(null),
    );
    await sleep(200);
    const orphans = pidsWith(marker);
    expect(orphans).toHaveLength(1); // the native binary, still running (and still holding our stdout pipe)
    expect(orphans).not.toContain(shim);
    expect(pidsWith(s.db).length).toBeGreaterThan(0); // and its MCP server
    process.kill(-shim, 'SIGKILL'); // the whole group
    await r.exited;
    await sleep(200);
    expect(pidsWith(marker)).toEqual([]);
    expect(pidsWith(s.db)).toEqual([]);
  });

  it('11. stdio MCP servers get only a whitelist of codex’s environment; `env` sets values and `env_vars` forwards names', async () => {
    const s = await setup(
      {
        conversations: [
          {
            name: 'w',
            match: { user: /IMPL-011/ },
            steps: [{ calls: [{ tool: 'team_msg', input: { operation: 'list', session_id: 's11' } }] }],
          },
        ],
      },
      {
        env: {
          PARENT_ONLY_VAR: 'p',
          FORWARDED_VAR: 'f',
          USER: 'u',
          LOGNAME: 'l',
          TMPDIR: '/tmp',
          TZ: 'UTC',
          LC_ALL: 'C.UTF-8',
          NODE_OPTIONS: '--no-warnings',
        },
      },
    );
    const dump = path.join(s.dir, 'mcp-env.txt');
    const r = s.exec([
      ...APPROVE,
      // Same server, started through sh so the environment it gets can be written down first.
      '-c',
      'mcp_servers.maestro-tools.command="sh"',
      '-c',
      `mcp_servers.maestro-tools.args=["-c", ${JSON.stringify(`env > '${dump}'; exec '${process.execPath}' '${MAESTRO}' mcp`)}]`,
      '-c',
      'mcp_servers.maestro-tools.env_vars=["FORWARDED_VAR"]',
      'task IMPL-011',
    ]);
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(toolItem(r)).toMatchObject({ status: 'completed' });
    const env = Object.fromEntries(
      readFileSync(dump, 'utf8')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      MAESTRO_DB: s.db, // from `env` in the server config
      FORWARDED_VAR: 'f', // named in env_vars
      HOME: s.home,
      USER: 'u',
      LOGNAME: 'l',
      TMPDIR: '/tmp',
      TZ: 'UTC',
      LC_ALL: 'C.UTF-8',
    });
    expect(env.PATH).toMatch(/codex-path:/); // codex prepends its helper dir
    for (const gone of ['PARENT_ONLY_VAR', 'NODE_OPTIONS', 'CODEX_HOME', 'MAESTRO_SCRIPTED_API_KEY'])
      expect(env).not.toHaveProperty(gone);
    console.info(`codex → MCP server environment keys: ${Object.keys(env).sort().join(' ')}`);
  });

  it('12. a failing model turns into error + turn.failed and exit 1; an unreachable one is retried forever', async () => {
    const s = await setup({
      conversations: [
        {
          name: 'w',
          match: { user: /IMPL-012/ },
          steps: [
            () => {
              throw new Error('scripted failure'); // → HTTP 500
            },
          ],
        },
      ],
    });
    const r = s.exec(['task IMPL-012']);
    expect(await r.exited).toEqual({ code: 1, signal: null });
    expect(r.lines.slice(-2)).toEqual([
      { type: 'error', message: expect.any(String) },
      { type: 'turn.failed', error: { message: expect.any(String) } },
    ]);
    console.info(`codex on HTTP 500: ${JSON.stringify(r.lines.at(-1))}`);

    // Connection refused: despite request_max_retries = 0 / stream_max_retries = 0 codex keeps reconnecting
    // (5 s, 10 s, …) and prints an `error` event each time; it never exits on its own.
    const offline = codexOfflineEnv({ baseUrl: 'http://127.0.0.1:9' });
    cleanups.push(offline.cleanup);
    const down = run(CODEX, ['exec', '--json', '--skip-git-repo-check', 'hello'], {
      env: offline.env,
      cwd: s.dir,
      detached: true,
    });
    down.proc.stdin.end();
    cleanups.push(() => stop(down));
    const error = await down.next((l) => l.type === 'error', 10_000);
    expect(error.message).toMatch(/^Reconnecting\.\.\. waiting for network/);
    await sleep(500);
    expect(down.proc.exitCode).toBeNull();
  });

  it('13. with stdin left open codex waits for it ("Reading additional input from stdin...") before any request', async () => {
    const s = await setup({ conversations: [] });
    const r = s.exec(['hello'], { keepStdin: true });
    // Waits for the notice (slow to come on a loaded machine), then a while longer: still no request.
    await until(() => r.stderr().includes('Reading additional input from stdin...'), 30_000);
    await sleep(1000);
    expect(s.server.requests).toHaveLength(0);
    r.proc.stdin.end();
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(s.server.requests).toHaveLength(1);
  });

  it('14. failures at start: a missing binary, a bad flag', async () => {
    const { dir, cleanup } = scratch();
    cleanups.push(cleanup);
    const missing = run(path.join(dir, 'no-such-codex'), ['exec'], { env: { PATH: '' }, cwd: dir });
    const spawnError = await new Promise<NodeJS.ErrnoException>((resolve) => missing.proc.once('error', resolve));
    expect(spawnError.code).toBe('ENOENT');
    expect(await missing.exited).toEqual({ code: -2, signal: null });
    const bad = run(CODEX, ['exec', '--bogus'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, CODEX_HOME: dir },
      cwd: dir,
    });
    expect(await bad.exited).toEqual({ code: 2, signal: null });
    expect(bad.stderr()).toContain("error: unexpected argument '--bogus' found");
  });
});

/**
 * `codex app-server`: JSON-RPC on stdio, driven by hand. Each exchange is kept in order as
 * `{from: "maestro" | "codex", message}` lines: the recordings test/codex-app.test.ts replays.
 */
interface AppServer {
  r: Run;
  /** Sends a request (ids 1, 2, … as maestro's peer numbers them) and resolves with codex's answer line. */
  request(method: string, params: unknown): Promise<Line>;
  notify(method: string): void;
  /** The first line from codex (at or after `from`) satisfying `test`, and its index. */
  find(test: (l: Line) => boolean, from?: number, timeoutMs?: number): Promise<{ line: Line; at: number }>;
  transcript(): string;
}

function appServer(s: Setup, extra: string[] = APPROVE): AppServer {
  const r = run(CODEX, ['app-server', ...codexMcpOverrides(s.db), ...extra], {
    env: s.env,
    cwd: s.dir,
    detached: true,
  });
  cleanups.push(() => stop(r));
  const sent: Array<{ at: number; seq: number; message: unknown }> = [];
  let nextId = 1;
  const find = async (test: (l: Line) => boolean, from = 0, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = r.lines.findIndex((l, i) => i >= from && test(l));
      if (at >= 0) return { line: r.lines[at]!, at };
      if (r.proc.exitCode !== null || r.proc.signalCode !== null)
        throw new Error(`codex app-server ended; stderr: ${r.stderr().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`no expected line within ${timeoutMs} ms; got ${r.lines.length}`);
      await sleep(20);
    }
  };
  const send = (message: Record<string, unknown>) => {
    // ordered before the lines codex printed after it (by arrival index)
    sent.push({ at: r.lines.length, seq: sent.length, message });
    r.write(message);
  };
  return {
    r,
    find,
    notify: (method) => send({ method }),
    async request(method, params) {
      const id = nextId++;
      send({ id, method, params });
      return (await find((l) => l.id === id && l.method === undefined)).line;
    },
    transcript() {
      const out: string[] = [];
      let next = 0;
      r.lines.forEach((line, i) => {
        while (next < sent.length && sent[next]!.at <= i)
          out.push(JSON.stringify({ from: 'maestro', message: sent[next++]!.message }));
        out.push(JSON.stringify({ from: 'codex', message: line }));
      });
      while (next < sent.length) out.push(JSON.stringify({ from: 'maestro', message: sent[next++]!.message }));
      return `${out.join('\n')}\n`;
    },
  };
}

const text = (t: string) => [{ type: 'text', text: t, text_elements: [] }];

/** initialize, initialized, thread/start (approval policy "never", developer instructions): the thread id. */
async function openThread(
  a: AppServer,
  cwd: string,
  instructions = 'ROLE: you are a maestro worker.',
): Promise<string> {
  const init = await a.request('initialize', {
    clientInfo: { name: 'maestro', title: 'maestro', version: '0.0.0' },
    capabilities: null,
  });
  expect(init.result).toMatchObject({ userAgent: expect.stringMatching(/^maestro\/0\.169\.0/), platformOs: 'linux' });
  a.notify('initialized');
  const started = await a.request('thread/start', {
    cwd,
    approvalPolicy: 'never',
    developerInstructions: instructions,
  });
  expect(started.result.thread.id).toMatch(/^[0-9a-f-]{36}$/);
  return started.result.thread.id;
}

const isNote =
  (method: string, test: (p: Line) => boolean = () => true) =>
  (l: Line) =>
    l.method === method && l.id === undefined && test(l.params);

describe('codex app-server worker', { timeout: 240_000 }, () => {
  it('15. a turn over JSON-RPC: thread/start, turn/start, the notifications, token usage, turn/completed; stdin closed → exit 0', async () => {
    const s = await setup(logThenFinish);
    const a = appServer(s);
    const threadId = await openThread(a, s.dir);
    const turn = await a.request('turn/start', { threadId, input: text('You are task IMPL-015 in session s15.') });
    expect(turn.result.turn).toMatchObject({ id: expect.any(String), status: 'inProgress', items: [] });
    const turnId = turn.result.turn.id;
    const done = await a.find(isNote('turn/completed'));
    expect(done.line.params).toMatchObject({ threadId, turn: { id: turnId, status: 'completed', error: null } });
    const notes = a.r.lines.filter((l) => l.method && l.id === undefined);
    const started = notes.findIndex(isNote('turn/started'));
    expect(started).toBeGreaterThan(notes.findIndex(isNote('thread/started')));
    const items = notes
      .filter(isNote('item/completed'))
      .map((l) => [l.params.turnId, l.params.item.type, l.params.item.text ?? l.params.item.status]);
    expect(items).toEqual([
      [turnId, 'userMessage', undefined],
      [turnId, 'agentMessage', 'Logging progress.'],
      [turnId, 'mcpToolCall', 'completed'],
      [turnId, 'agentMessage', 'IMPL-015 finished.'],
    ]);
    const call = notes.find(isNote('item/completed', (p) => p.item.type === 'mcpToolCall'))!.params.item;
    expect(call).toMatchObject({ server: 'maestro-tools', tool: 'team_msg', error: null });
    expect(call.result.structuredContent).toMatchObject({ operation: 'log', id: 'MSG-001' });
    // One token count per model request: `last` is that request, `total` the thread's so far.
    const usage = notes.filter(isNote('thread/tokenUsage/updated')).map((l) => l.params);
    expect(usage).toHaveLength(2);
    expect(usage[1]).toMatchObject({ threadId, turnId });
    expect(usage[1].tokenUsage.total.inputTokens).toBe(
      usage[0].tokenUsage.last.inputTokens + usage[1].tokenUsage.last.inputTokens,
    );
    expect(busMessages(s.db, 's15')).toMatchObject([{ from: 'IMPL-015', summary: 'hello' }]);
    // The developer instructions reach the model as a developer message.
    expect(s.server.requests[0]!.view!.system).toContain('ROLE: you are a maestro worker.');
    expect(s.server.requests[0]!.view!.firstUser).toBe('You are task IMPL-015 in session s15.');
    a.r.proc.stdin.end();
    expect(await a.r.exited).toEqual({ code: 0, signal: null });
    expect(pidsWith(s.db)).toEqual([]);
    record('codex-app-turn.jsonl', a.transcript(), { '<cwd>': s.dir, '<home>': s.home });
  });

  it('16. turn/steer joins the running turn: the pending model reply is dropped and asked again with the new text', async () => {
    const s = await setup({
      conversations: [
        {
          name: 'w',
          match: { user: /IMPL-016/ },
          steps: [
            (ctx) =>
              ctx.request.userTexts.some((t) => t.includes('STEERED'))
                ? { text: 'Heard you.' }
                : { text: 'Not yet.', delayMs: 1500 },
          ],
        },
      ],
    });
    const a = appServer(s);
    const threadId = await openThread(a, s.dir);
    const turn = await a.request('turn/start', { threadId, input: text('task IMPL-016') });
    const turnId = turn.result.turn.id;
    await s.server.waitForRequest((q) => q.view?.firstUser === 'task IMPL-016');
    const wrong = await a.request('turn/steer', { threadId, expectedTurnId: 'not-the-turn', input: text('x') });
    expect(wrong.error).toMatchObject({ code: -32600, message: expect.stringContaining('not-the-turn') });
    const steered = await a.request('turn/steer', { threadId, expectedTurnId: turnId, input: text('STEERED: hi') });
    expect(steered).toEqual({ id: steered.id, result: { turnId } });
    const done = await a.find(isNote('turn/completed'));
    expect(done.line.params.turn).toMatchObject({ id: turnId, status: 'completed' });
    const said = a.r.lines.filter(isNote('item/completed', (p) => p.item.type === 'agentMessage'));
    expect(said.map((l) => l.params.item.text)).toEqual(['Heard you.']); // the reply in flight was dropped
    const users = a.r.lines.filter(isNote('item/completed', (p) => p.item.type === 'userMessage'));
    expect(users.map((l) => [l.params.turnId, l.params.item.content[0].text])).toEqual([
      [turnId, 'task IMPL-016'],
      [turnId, 'STEERED: hi'],
    ]);
    expect(s.server.requests.at(-1)!.view!.userTexts.slice(-2)).toEqual(['task IMPL-016', 'STEERED: hi']);
    // Once the turn is over there is nothing to steer.
    const late = await a.request('turn/steer', { threadId, expectedTurnId: turnId, input: text('late') });
    expect(late.error).toMatchObject({ code: -32600 });
    console.info(
      `turn/steer after the turn: ${JSON.stringify(late.error)}; wrong turn: ${JSON.stringify(wrong.error)}`,
    );
    record('codex-app-steer.jsonl', a.transcript(), { '<cwd>': s.dir, '<home>': s.home });
  });

  it('17. turn/interrupt ends the turn as interrupted (the model request dropped); the thread takes the next turn', async () => {
    const s = await setup({
      conversations: [
        {
          name: 'w',
          match: { user: /IMPL-017/ },
          steps: [
            (ctx) =>
              ctx.request.userTexts.some((t) => t.includes('again'))
                ? { text: 'Second try.' }
                : { text: 'slow', delayMs: 600_000 },
          ],
        },
      ],
    });
    const a = appServer(s);
    const threadId = await openThread(a, s.dir);
    const turn = await a.request('turn/start', { threadId, input: text('task IMPL-017') });
    const turnId = turn.result.turn.id;
    const pending = await s.server.waitForRequest((q) => q.view?.firstUser === 'task IMPL-017');
    const at = Date.now();
    const interrupted = await a.request('turn/interrupt', { threadId, turnId });
    expect(interrupted.result).toEqual({});
    const done = await a.find(isNote('turn/completed'));
    const ms = Date.now() - at;
    expect(done.line.params.turn).toMatchObject({ id: turnId, status: 'interrupted', error: null });
    await until(() => pending.aborted === true);
    const next = await a.request('turn/start', { threadId, input: text('try again') });
    const second = await a.find(isNote('turn/completed'), done.at + 1);
    expect(second.line.params.turn).toMatchObject({ id: next.result.turn.id, status: 'completed' });
    console.info(`turn/interrupt → turn/completed ${ms} ms`);
    record('codex-app-interrupt.jsonl', a.transcript(), { '<cwd>': s.dir, '<home>': s.home });
  });

  it('18. a new process resumes the thread after SIGKILL (thread/resume): same id, the history sent again', async () => {
    const s = await setup(logThenFinish);
    const a = appServer(s);
    const threadId = await openThread(a, s.dir);
    await a.request('turn/start', { threadId, input: text('You are task IMPL-018 in session s18.') });
    await a.find(isNote('turn/completed'));
    process.kill(-a.r.proc.pid!, 'SIGKILL');
    await a.r.exited;

    const b = appServer(s);
    await b.request('initialize', { clientInfo: { name: 'maestro', title: null, version: '0' }, capabilities: null });
    b.notify('initialized');
    const unknown = await b.request('turn/steer', { threadId, expectedTurnId: 'x', input: text('x') });
    expect(unknown.error).toEqual({ code: -32600, message: `thread not found: ${threadId}` });
    const resumed = await b.request('thread/resume', {
      threadId,
      cwd: s.dir,
      approvalPolicy: 'never',
      excludeTurns: true,
    });
    expect(resumed.result.thread.id).toBe(threadId);
    // It repeats the last token count of the old turn: not this turn's.
    const old = await b.find(isNote('thread/tokenUsage/updated'));
    const turn = await b.request('turn/start', { threadId, input: text('Next: the second task.') });
    expect(old.line.params.turnId).not.toBe(turn.result.turn.id);
    await b.find(isNote('turn/completed'));
    const request = s.server.requests.at(-1)!;
    expect(request.view!.firstUser).toBe('You are task IMPL-018 in session s18.');
    expect(request.view!.userTexts.at(-1)).toBe('Next: the second task.');
    expect(request.view!.system).toContain('ROLE: you are a maestro worker.');
    record('codex-app-resume.jsonl', b.transcript(), { '<cwd>': s.dir, '<home>': s.home });
  });

  it('19. a failing model: `error` notifications, then turn/completed with status failed and the error', async () => {
    const s = await setup({
      conversations: [
        {
          name: 'w',
          match: { user: /IMPL-019/ },
          steps: [
            () => {
              throw new Error('scripted failure'); // → HTTP 500
            },
          ],
        },
      ],
    });
    const a = appServer(s);
    const threadId = await openThread(a, s.dir);
    await a.request('turn/start', { threadId, input: text('task IMPL-019') });
    const done = await a.find(isNote('turn/completed'));
    expect(done.line.params.turn).toMatchObject({ status: 'failed', error: { message: expect.any(String) } });
    const errors = a.r.lines.filter(isNote('error'));
    expect(errors.at(-1)!.params).toMatchObject({ willRetry: false, error: { message: expect.any(String) } });
    expect(a.r.proc.exitCode).toBeNull(); // the process stays for the next turn
    console.info(`app-server on HTTP 500: ${JSON.stringify(done.line.params.turn.error)}`);
    record('codex-app-failed.jsonl', a.transcript(), { '<cwd>': s.dir, '<home>': s.home });
  });
});
