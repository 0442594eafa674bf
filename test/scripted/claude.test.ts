/**
 * Facts about Claude Code 2.1.329 as a headless worker (stream-json in and out), established by
 * running the real binary offline against the scripted Anthropic server with the real
 * `maestro mcp` as its MCP server. FACTS.md (test/fixtures/recorded/) points at each test here.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/project.js';
import {
  claudeOfflineEnv,
  startAnthropicServer,
  type Script,
  type ScriptedServer,
  type Step,
} from '../../src/scripted/index.js';
import {
  CLAUDE,
  CLAUDE_STREAM_ARGS,
  MAESTRO,
  busMessages,
  claudeMcpConfig,
  pidsWith,
  record,
  run,
  scratch,
  sleep,
  stop,
  userLine,
  type Line,
  type Run,
} from './harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Worker {
  server: ScriptedServer;
  r: Run;
  dir: string;
  home: string;
  db: string;
  env: Record<string, string>;
  args: string[];
  /** Starts another Claude process with the same server, env and flags plus `extra`. */
  again(extra: string[]): Run;
}

const ALLOW_MAESTRO = ['--allowedTools', 'mcp__maestro-tools'];

interface WorkerOptions {
  /** Flags after the stream-json ones and --mcp-config (default: --allowedTools mcp__maestro-tools). */
  args?: string[];
  env?: Record<string, string>;
  /** Share one server between several workers. */
  server?: ScriptedServer;
  /** The --mcp-config value (default: the maestro server on `db`). */
  mcpConfig?: (db: string, dir: string) => string;
  /** Runs before the process starts (e.g. to write user config into `home`). */
  prepare?: (home: string, dir: string) => void;
}

async function startWorker(script: Script, options: WorkerOptions = {}): Promise<Worker> {
  const { dir, cleanup } = scratch();
  cleanups.push(cleanup);
  const server = options.server ?? (await startAnthropicServer(script));
  if (!options.server) cleanups.push(() => server.close());
  const offline = claudeOfflineEnv({ baseUrl: server.url, extra: options.env ?? {} });
  cleanups.push(offline.cleanup);
  const db = path.join(dir, 'bus.db');
  options.prepare?.(offline.home, dir);
  const mcpConfig = (options.mcpConfig ?? claudeMcpConfig)(db, dir);
  const args = [...CLAUDE_STREAM_ARGS, '--mcp-config', mcpConfig, ...(options.args ?? ALLOW_MAESTRO)];
  const spawnOne = (extra: string[]) => {
    const r = run(CLAUDE, [...args, ...extra], { env: offline.env, cwd: dir });
    cleanups.push(() => stop(r));
    return r;
  };
  return { server, r: spawnOne([]), dir, home: offline.home, db, env: offline.env, args, again: spawnOne };
}

const isResult = (l: Line) => l.type === 'result';
/** Message content as text: Claude Code sends `system` messages both as a string and as text blocks. */
const textOf = (content: string | Line[]) =>
  typeof content === 'string' ? content : content.map((b) => b.text ?? '').join('');
const isInit = (l: Line) => l.type === 'system' && l.subtype === 'init';

/**
 * A worker that logs progress to the bus, then finishes; its task name comes from the first user message.
 * `tool` may be qualified with the server (`maestro-tools__team_msg`) when several servers offer a team_msg.
 */
const logThenFinish = (extra: Script['conversations'][number]['steps'] = [], tool = 'team_msg'): Script => ({
  conversations: [
    {
      name: 'worker',
      match: { user: /task (?<task>IMPL-\d+) in session (?<session>[\w-]+)/ },
      steps: [
        {
          text: 'Logging progress.',
          calls: [
            {
              tool,
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
        ...extra,
      ],
    },
  ],
});

describe('Claude Code headless worker', () => {
  it('1. runs a turn that calls mcp__maestro-tools__team_msg and ends with text; pins the stream-json line shapes', async () => {
    const w = await startWorker(logThenFinish([], 'maestro-tools__team_msg'), {
      // A user-scope MCP server in the (temporary) user config: without --strict-mcp-config it loads too.
      prepare: (home, dir) =>
        writeFileSync(
          path.join(home, '.claude', '.claude.json'),
          JSON.stringify({
            mcpServers: {
              'user-extra': {
                type: 'stdio',
                command: process.execPath,
                args: [MAESTRO, 'mcp'],
                env: { MAESTRO_DB: path.join(dir, 'user.db') },
              },
            },
          }),
        ),
    });
    const r = w.r;
    r.write(userLine('You are task IMPL-001 in session s1. Log progress.'));
    const result = await r.next(isResult);
    r.proc.stdin.end();
    expect(await r.exited).toEqual({ code: 0, signal: null });

    const [init, ...rest] = r.lines;
    expect(init).toMatchObject({ type: 'system', subtype: 'init', cwd: w.dir, permissionMode: 'default' });
    expect(init!.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(init!.tools).toContain('mcp__maestro-tools__team_msg');
    expect(init!.mcp_servers).toEqual(
      expect.arrayContaining([
        { name: 'maestro-tools', status: 'connected', source: 'dynamic' },
        expect.objectContaining({ name: 'user-extra', status: 'connected' }),
      ]),
    );
    // One assistant line per content block, all with the same message id.
    const assistants = rest.filter((l) => l.type === 'assistant');
    expect(assistants.map((l) => l.message.content.map((b: Line) => b.type))).toEqual([
      ['text'],
      ['tool_use'],
      ['text'],
    ]);
    expect(assistants[0]!.message.id).toBe(assistants[1]!.message.id);
    expect(assistants[1]!.message.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'mcp__maestro-tools__team_msg',
      input: { operation: 'log', session_id: 's1', from: 'IMPL-001' },
    });
    expect(assistants[0]).toMatchObject({ parent_tool_use_id: null, session_id: init!.session_id });
    // The tool result comes back as a `user` line; its content (what the model sees) is the tool's
    // structuredContent as JSON, not its text content.
    const toolResult = rest.find((l) => l.type === 'user')!;
    const block = toolResult.message.content[0];
    expect(block).toMatchObject({ type: 'tool_result', tool_use_id: assistants[1]!.message.content[0].id });
    expect(JSON.parse(block.content)).toMatchObject({ operation: 'log', id: 'MSG-001' });
    expect(result).toMatchObject({
      type: 'result',
      subtype: 'success',
      is_error: false,
      result: 'IMPL-001 finished.',
      session_id: init!.session_id,
      num_turns: 2,
      stop_reason: 'end_turn',
      terminal_reason: 'completed',
      permission_denials: [],
    });
    expect(result.total_cost_usd).toBeGreaterThan(0);
    expect(result.usage.input_tokens).toBeGreaterThan(0);
    expect(result.usage.output_tokens).toBeGreaterThan(0);
    expect(Object.keys(result.modelUsage)).toEqual([w.server.requests[0]!.body.model]);
    // The message really is on the bus.
    expect(busMessages(w.db, 's1')).toMatchObject([
      { id: 'MSG-001', from: 'IMPL-001', type: 'progress', summary: 'hello' },
    ]);
    // Only the two model requests: no side requests with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1.
    expect(w.server.requests.map((q) => [q.path, q.query, q.plan?.step])).toEqual([
      ['/v1/messages', 'beta=true', 0],
      ['/v1/messages', 'beta=true', 1],
    ]);
    expect(w.server.requests[0]!.body.stream).toBe(true);
    console.info(
      `claude: spawn → first model request ${w.server.requests[0]!.at - r.startedAt} ms; turn ${result.duration_ms} ms`,
    );
    record('claude-turn.jsonl', r.stdout(), { '<cwd>': w.dir, '<home>': w.home });
  });

  it('2. a second user line after the result runs a second turn in the same process, with the first turn in its history', async () => {
    const w = await startWorker(logThenFinish([{ text: 'second turn done' }]));
    w.r.write(userLine('You are task IMPL-002 in session s2. Log progress.'));
    const first = await w.r.next(isResult);
    const sent = Date.now();
    w.r.write(userLine('Now the second task.'));
    const secondInit = await w.r.next(isInit); // every turn starts with its own system/init line
    const second = await w.r.next(isResult);
    expect(secondInit.session_id).toBe(first.session_id);
    expect(second).toMatchObject({
      subtype: 'success',
      result: 'second turn done',
      session_id: first.session_id,
      num_turns: 1,
    });
    expect(second.total_cost_usd).toBeGreaterThan(first.total_cost_usd); // a running total for the process
    const request = w.server.requests[2]!;
    const turns = request.body.messages.filter((m: Line) => m.role !== 'system');
    expect(turns.map((m: Line) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(JSON.stringify(turns[1].content)).toContain('mcp__maestro-tools__team_msg');
    expect(turns[3].content).toEqual([{ type: 'text', text: 'IMPL-002 finished.' }]);
    expect(request.view!.userTexts.at(-1)).toBe('Now the second task.');
    console.info(`claude: user line → next model request ${request.at - sent} ms`);
    w.r.proc.stdin.end();
    expect(await w.r.exited).toEqual({ code: 0, signal: null });
  });

  it('3. a user line written mid-turn is folded into the running turn (a system message; for claude-sonnet-4-5 inside the tool result)', async () => {
    const injectMidTurn = async (args: string[]) => {
      const script = logThenFinish();
      script.conversations[0]!.steps[0] = { ...(script.conversations[0]!.steps[0] as object), delayMs: 800 };
      const w = await startWorker(script, { args: [...ALLOW_MAESTRO, ...args] });
      w.r.write(userLine('You are task IMPL-003 in session s3. Log progress.'));
      await w.server.waitForRequest((q) => q.plan?.step === 0);
      w.r.write(userLine('Coordinator: also run the tests.')); // while the model's tool call is still pending
      const result = await w.r.next(isResult);
      await sleep(300);
      expect(w.r.lines.filter(isResult)).toHaveLength(1); // no separate turn
      expect(result.result).toBe('IMPL-003 finished.');
      const next = w.server.requests[1]!;
      expect(next.view!.latest).toContain('Coordinator: also run the tests.');
      w.r.proc.stdin.end();
      await w.r.exited;
      return {
        w,
        tail: next.body.messages.slice(next.body.messages.findLastIndex((m: Line) => m.role === 'assistant') + 1),
      };
    };
    const [current, older] = await Promise.all([injectMidTurn([]), injectMidTurn(['--model', 'claude-sonnet-4-5'])]);
    // Default model (claude-opus-5-5): a `system` message after the tool result.
    expect(current.tail.map((m: Line) => m.role)).toEqual(['user', 'system']);
    expect(current.tail[0].content[0].type).toBe('tool_result');
    expect(textOf(current.tail[1].content)).toMatch(
      /^The user sent a new message while you were working:\nCoordinator: also run the tests\.\n\n/,
    );
    record('claude-injection-request.json', JSON.stringify(current.tail, null, 2) + '\n', { '<cwd>': current.w.dir });
    // claude-sonnet-4-5 (no mid-conversation system messages): appended to the tool result's text.
    expect(older.tail.map((m: Line) => m.role)).toEqual(['user']);
    expect(older.tail[0].content).toHaveLength(1);
    expect(older.tail[0].content[0].content).toMatch(
      /^\{"operation":"log".*\}\n\n<system-reminder>\nThe user sent a new message while you were working:\nCoordinator: also run the tests\.\n/s,
    );
  });

  it('3b. a user line written while the final reply is pending becomes a turn of its own after the result', async () => {
    const w = await startWorker({
      conversations: [
        {
          name: 'w',
          match: { user: /IMPL-003b/ },
          steps: [
            { text: 'first answer', delayMs: 800 },
            (ctx) => ({ text: `answer to: ${ctx.request.userTexts.at(-1)}` }),
          ],
        },
      ],
    });
    w.r.write(userLine('task IMPL-003b'));
    await w.server.waitForRequest((q) => q.plan?.step === 0);
    w.r.write(userLine('late message'));
    const first = await w.r.next(isResult);
    const second = await w.r.next(isResult);
    expect([first.result, second.result]).toEqual(['first answer', 'answer to: late message']);
    w.r.proc.stdin.end();
    await w.r.exited;
  });

  it('4. an interrupt control_request ends the turn with error_during_execution; the process takes the next turn', async () => {
    const w = await startWorker({
      conversations: [
        {
          name: 'w',
          match: { user: /IMPL-004/ },
          // Stateless steps: the interrupted turn leaves no assistant message, so branch on the latest user text.
          steps: [
            (ctx) =>
              /next turn/.test(ctx.request.latest) ? { text: 'back again' } : { text: 'too slow', delayMs: 10_000 },
          ],
        },
      ],
    });
    w.r.write(userLine('task IMPL-004'));
    const pending = await w.server.waitForRequest((q) => q.plan?.conversation === 'w');
    const sent = Date.now();
    w.r.write({ type: 'control_request', request_id: 'int-1', request: { subtype: 'interrupt' } });
    const response = await w.r.next((l) => l.type === 'control_response');
    expect(response).toEqual({
      type: 'control_response',
      response: { subtype: 'success', request_id: 'int-1', response: { still_queued: [] } },
    });
    const marker = await w.r.next((l) => l.type === 'user');
    expect(marker.message.content).toEqual([{ type: 'text', text: '[Request interrupted by user]' }]);
    const interrupted = await w.r.next(isResult);
    console.info(`claude: interrupt → result ${Date.now() - sent} ms`);
    expect(interrupted).toMatchObject({
      subtype: 'error_during_execution',
      is_error: true,
      terminal_reason: 'aborted_streaming',
      stop_reason: null,
    });
    expect(interrupted).not.toHaveProperty('result'); // no final text on an interrupted turn
    await until(() => pending.aborted === true, 15_000); // the HTTP request to the model was dropped
    w.r.write(userLine('next turn please'));
    const next = await w.r.next(isResult);
    expect(next).toMatchObject({ subtype: 'success', result: 'back again', session_id: interrupted.session_id });
    // The interrupted user text, the marker and the new text arrive together in one user message.
    const lastUser = w.server.requests
      .at(-1)!
      .body.messages.filter((m: Line) => m.role === 'user')
      .at(-1);
    expect(lastUser.content.map((b: Line) => b.text).slice(-3)).toEqual([
      'task IMPL-004\n',
      '[Request interrupted by user]\n',
      'next turn please',
    ]);
    record('claude-interrupt.jsonl', w.r.stdout(), { '<cwd>': w.dir, '<home>': w.home });
    w.r.proc.stdin.end();
    await w.r.exited;
  });

  it('5. --resume=<session_id> in a new process keeps the session id and sends the old history', async () => {
    const w = await startWorker(logThenFinish([{ text: 'resumed and done' }]));
    w.r.write(userLine('You are task IMPL-005 in session s5. Log progress.'));
    const first = await w.r.next(isResult);
    w.r.proc.stdin.end();
    await w.r.exited;

    const r2 = w.again([`--resume=${first.session_id}`]);
    r2.write(userLine('Continue.'));
    const init = await r2.next(isInit);
    const second = await r2.next(isResult);
    expect(init.session_id).toBe(first.session_id);
    expect(second).toMatchObject({ result: 'resumed and done', session_id: first.session_id });
    const request = w.server.requests.at(-1)!;
    expect(request.headers['x-claude-code-session-id']).toBe(first.session_id);
    const turns = request.body.messages.filter((m: Line) => m.role !== 'system');
    expect(turns.map((m: Line) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(JSON.stringify(turns[1].content)).toContain('mcp__maestro-tools__team_msg');
    expect(request.view!.userTexts.at(-1)).toContain('Continue.');
    r2.proc.stdin.end();
    await r2.exited;
  });

  it('6. as root: acceptEdits + --allowedTools lets a worker edit its cwd and call maestro; bypassPermissions needs IS_SANDBOX=1', async () => {
    const { dir: elsewhere, cleanup } = scratch();
    cleanups.push(cleanup);
    const outside = path.join(elsewhere, 'outside.txt');
    // One script for workers in different directories: the function form reads the cwd from the request
    // (a system message, or with some flags a <system-reminder> in the first user message).
    const server = await startAnthropicServer({
      conversations: [
        {
          name: 'w',
          match: { user: /IMPL-006/ },
          steps: [
            (ctx): Step => {
              const context = [ctx.request.system, ...ctx.request.userTexts].join('\n');
              const cwd = /Primary working directory: (\S+)/.exec(context)![1]!;
              return {
                calls: [
                  { tool: 'Write', input: { file_path: path.join(cwd, 'inside.txt'), content: 'in\n' } },
                  { tool: 'Write', input: { file_path: outside, content: 'out\n' } },
                  {
                    tool: 'Bash',
                    input: { command: `node -e "require('fs').writeFileSync('bash.txt','x')"`, description: 'node' },
                  },
                  {
                    tool: 'team_msg',
                    input: { operation: 'log', session_id: 's6', from: 'IMPL-006', type: 'progress' },
                  },
                ],
              };
            },
            { text: 'done' },
          ],
        },
      ],
    });
    cleanups.push(() => server.close());
    const runMode = async (flags: string[], env: Record<string, string> = {}) => {
      const w = await startWorker({ conversations: [] }, { args: flags, env, server });
      w.r.write(userLine('task IMPL-006'));
      const result = await w.r.next(isResult);
      w.r.proc.stdin.end();
      await w.r.exited;
      const denied = result.permission_denials.map((d: Line) =>
        d.tool_name === 'Write' ? (d.tool_input.file_path === outside ? 'Write outside' : 'Write inside') : d.tool_name,
      );
      return { w, result, denied, bus: busMessages(w.db, 's6').length };
    };
    const allow = (...tools: string[]) => ['--allowedTools', 'mcp__maestro-tools', ...tools];

    const [accept, withBash, byDefault, dontAsk, auto] = await Promise.all([
      runMode([
        '--permission-mode',
        'acceptEdits',
        ...allow(),
        '--append-system-prompt',
        'ROLE: worker IMPL-006',
        '--model',
        'claude-sonnet-4-5',
      ]),
      runMode(['--permission-mode', 'acceptEdits', ...allow('Bash')]),
      runMode(allow()),
      runMode(['--permission-mode', 'dontAsk', ...allow()]),
      runMode(['--permission-mode', 'auto', ...allow()]),
    ]);
    expect(accept.w.r.lines[0]).toMatchObject({ permissionMode: 'acceptEdits', model: 'claude-sonnet-4-5' });
    expect(existsSync(path.join(accept.w.dir, 'inside.txt'))).toBe(true);
    expect(accept.denied).toEqual(['Write outside', 'Bash']);
    const first = accept.w.server.requests.find((q) => q.view?.system.includes('ROLE: worker IMPL-006'))!;
    expect(first.body.model).toBe('claude-sonnet-4-5');
    expect(first.body.system.at(-1).text.endsWith('ROLE: worker IMPL-006')).toBe(true); // appended at the very end
    // Adding Bash to --allowedTools lets it run commands too (still nothing outside the cwd).
    expect(withBash.denied).toEqual(['Write outside']);
    expect(readFileSync(path.join(withBash.w.dir, 'bash.txt'), 'utf8')).toBe('x');
    // The other modes, for the record: only the allowed MCP tool runs.
    expect(byDefault.denied).toEqual(['Write inside', 'Write outside', 'Bash']);
    expect(dontAsk.denied).toEqual(['Write inside', 'Write outside', 'Bash']);
    expect(auto.denied).toEqual(['Write outside', 'Bash']); // "Auto mode is unavailable" offline
    for (const mode of [accept, withBash, byDefault, dontAsk, auto]) expect(mode.bus).toBe(1);

    // bypassPermissions as root: refused at once (IS_SANDBOX=yes, as in this container, does not count) ...
    expect(process.getuid?.()).toBe(0);
    const refused = await startWorker(
      { conversations: [] },
      { server, args: ['--permission-mode', 'bypassPermissions'], env: { IS_SANDBOX: 'yes' } },
    );
    refused.r.write(userLine('task IMPL-006'));
    expect(await refused.r.exited).toEqual({ code: 1, signal: null });
    expect(refused.r.stderr()).toContain(
      '--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons',
    );
    // ... and with IS_SANDBOX=1 everything is allowed, outside the cwd included.
    const bypass = await runMode(['--permission-mode', 'bypassPermissions', ...allow()], { IS_SANDBOX: '1' });
    expect(bypass.denied).toEqual([]);
    expect(existsSync(outside)).toBe(true);
  });

  it('7. closing stdin ends the process with 0 (after finishing a running turn); SIGINT, SIGTERM, SIGKILL; the MCP child goes too', async () => {
    const server = await startAnthropicServer({
      conversations: [{ name: 'w', match: { user: /IMPL-007/ }, steps: [{ text: 'slow answer', delayMs: 700 }] }],
    });
    cleanups.push(() => server.close());
    const outcome = async (how: 'close stdin' | NodeJS.Signals) => {
      const w = await startWorker({ conversations: [] }, { server });
      w.r.write(userLine(`task IMPL-007 ${how}`));
      await server.waitForRequest((q) => q.view?.firstUser.includes(how) ?? false);
      expect(pidsWith(w.db)).toHaveLength(1); // the maestro mcp child
      const at = Date.now();
      if (how === 'close stdin') w.r.proc.stdin.end();
      else w.r.proc.kill(how);
      const exit = await w.r.exited;
      const ms = Date.now() - at;
      // The MCP child goes after its parent; a loaded machine may take a moment to show it.
      await until(() => pidsWith(w.db).length === 0, 15_000).catch(() => undefined);
      return { exit, ms, results: w.r.lines.filter(isResult), mcpLeft: pidsWith(w.db).length };
    };
    const closed = await outcome('close stdin');
    expect(closed.exit).toEqual({ code: 0, signal: null });
    expect(closed.results.map((l) => l.result)).toEqual(['slow answer']); // the turn was finished first
    expect(closed.ms).toBeGreaterThan(300);
    const sigint = await outcome('SIGINT');
    expect(sigint.exit).toEqual({ code: 0, signal: null });
    expect(sigint.results).toMatchObject([{ subtype: 'error_during_execution', is_error: true }]);
    const sigterm = await outcome('SIGTERM');
    expect(sigterm.exit).toEqual({ code: 143, signal: null });
    expect(sigterm.results).toEqual([]);
    const sigkill = await outcome('SIGKILL');
    expect(sigkill.exit).toEqual({ code: null, signal: 'SIGKILL' });
    for (const o of [closed, sigint, sigterm, sigkill]) expect(o.mcpLeft).toBe(0);
    console.info(
      `claude: exit after stdin close ${closed.ms} ms (turn finished), SIGINT ${sigint.ms} ms, SIGTERM ${sigterm.ms} ms`,
    );
  });

  it('7b. nothing is printed, not even system/init, until the first user line arrives', async () => {
    const w = await startWorker({ conversations: [] });
    await sleep(1000);
    expect(w.r.lines).toEqual([]);
    w.r.write(userLine('hello'));
    await w.r.next(isInit);
    await w.r.next(isResult);
    w.r.proc.stdin.end();
    await w.r.exited;
  });

  it('8. failures at start: a missing binary, a bad flag, an unreachable model', async () => {
    const { dir, cleanup } = scratch();
    cleanups.push(cleanup);
    const missing = run(path.join(dir, 'no-such-claude'), ['-p'], { env: { PATH: '' }, cwd: dir });
    const spawnError = await new Promise<NodeJS.ErrnoException>((resolve) => missing.proc.once('error', resolve));
    expect(spawnError).toMatchObject({ code: 'ENOENT', syscall: `spawn ${path.join(dir, 'no-such-claude')}` });
    expect(await missing.exited).toEqual({ code: -2, signal: null });

    const badFlag = run(CLAUDE, ['-p', '--permission-mode', 'bogus'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      cwd: dir,
    });
    expect(await badFlag.exited).toEqual({ code: 1, signal: null });
    expect(badFlag.stderr()).toMatch(/option '--permission-mode <mode>' argument 'bogus' is invalid/);

    // Unreachable API: by default Claude retries 10 times with backoff, one system/api_retry line each;
    // CLAUDE_CODE_MAX_RETRIES=0 makes the turn fail at once.
    const offline = claudeOfflineEnv({ baseUrl: 'http://127.0.0.1:9', extra: { CLAUDE_CODE_MAX_RETRIES: '0' } });
    cleanups.push(offline.cleanup);
    const down = run(CLAUDE, CLAUDE_STREAM_ARGS, { env: offline.env, cwd: dir });
    down.write(userLine('hello'));
    const result = await down.next(isResult);
    // Gotcha: subtype stays "success"; is_error and terminal_reason tell the failure.
    expect(result).toMatchObject({ subtype: 'success', is_error: true, terminal_reason: 'api_error' });
    expect(result.result).toMatch(/^API Error: Connection refused/);
    down.proc.stdin.end();
    expect((await down.exited).code).toBe(1); // exit code 1 when the last turn failed
  });

  it('9. MCP servers get Claude Code’s whole environment plus the config `env`', async () => {
    const dumpOf = (dir: string) => path.join(dir, 'mcp-env.json');
    const w = await startWorker(
      { conversations: [] },
      {
        env: { PARENT_ONLY_VAR: 'from-parent' },
        mcpConfig: (_db, dir) =>
          JSON.stringify({
            mcpServers: {
              'maestro-tools': {
                type: 'stdio',
                command: process.execPath,
                args: [
                  '-e',
                  `require('fs').writeFileSync(${JSON.stringify(dumpOf(dir))}, JSON.stringify(process.env))`,
                ],
                env: { CONFIG_VAR: 'from-config' },
              },
            },
          }),
      },
    );
    const dump = dumpOf(w.dir);
    const r = w.r;
    r.write(userLine('hello'));
    const init = await r.next(isInit);
    expect(init.mcp_servers).toEqual([{ name: 'maestro-tools', status: 'failed', source: 'dynamic' }]); // it exits at once
    const env = JSON.parse(readFileSync(dump, 'utf8'));
    expect(env).toMatchObject({
      PARENT_ONLY_VAR: 'from-parent',
      CONFIG_VAR: 'from-config',
      ANTHROPIC_API_KEY: 'sk-ant-scripted',
    });
    r.proc.stdin.end();
    await r.exited;
  });

  it('10. the first model request waits for MCP servers to connect, up to MCP_TIMEOUT (default 30 s), then goes without them', async () => {
    const server = await startAnthropicServer({ conversations: [] });
    cleanups.push(() => server.close());
    const slowServer = (db: string) =>
      JSON.stringify({
        mcpServers: {
          'maestro-tools': {
            type: 'stdio',
            command: 'sh',
            args: ['-c', `sleep 1.5; exec '${process.execPath}' '${MAESTRO}' mcp`],
            env: { MAESTRO_DB: db },
          },
        },
      });
    const attempt = async (env: Record<string, string>) => {
      const w = await startWorker({ conversations: [] }, { server, env, mcpConfig: slowServer });
      w.r.write(userLine(`hello ${JSON.stringify(env)}`));
      const init = await w.r.next(isInit);
      await w.r.next(isResult);
      w.r.proc.stdin.end();
      await w.r.exited;
      const request = server.requests.find((q) => q.view?.firstUser.includes(JSON.stringify(env)))!;
      return {
        status: init.mcp_servers[0].status,
        offered: request.view!.tools.includes('mcp__maestro-tools__team_msg'),
        wait: request.at - w.r.startedAt,
      };
    };
    const [waited, gaveUp] = await Promise.all([attempt({}), attempt({ MCP_TIMEOUT: '500' })]);
    expect(waited).toMatchObject({ status: 'connected', offered: true });
    expect(waited.wait).toBeGreaterThan(1500);
    expect(gaveUp).toMatchObject({ status: 'failed', offered: false });
  });
});
