/**
 * The codex app-server transport without a model: the JSON-RPC peer on its own, the recorded
 * transcripts (test/fixtures/recorded/codex-app-*.jsonl, made by test/scripted/codex.test.ts X15–X19)
 * replayed through the peer and the notification reader, and the whole backend driven against
 * a stand-in `codex` that plays a recording back request by request.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appServerArgs, codexAppServerBackend } from '../src/backends/codex-app.js';
import { createCodexTurnReader } from '../src/backends/codex-events.js';
import { GONE, RpcError, createRpcPeer, type RpcHandlers } from '../src/backends/codex-rpc.js';
import type { BackendEvent, LaunchSpec } from '../src/backends/types.js';
import { ROOT } from './helpers/paths.js';
import { until } from './helpers/project.js';
import { tempDir } from './helpers/temp.js';

type Message = Record<string, any>;
type Entry = { from: 'maestro' | 'codex'; message: Message };

const RECORDED = path.join(ROOT, 'test/fixtures/recorded');
const recording = (name: string): Entry[] =>
  readFileSync(path.join(RECORDED, name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Entry);

const fromCodex = (entries: Entry[]) => entries.filter((e) => e.from === 'codex').map((e) => e.message);
const turnsCompleted = (entries: Entry[]) =>
  fromCodex(entries)
    .filter((m) => m.method === 'turn/completed')
    .map((m) => m.params.turn);

/** The sum of the recorded per-request token counts of one turn. */
function recordedUsage(entries: Entry[], turnId: string) {
  const counts = fromCodex(entries)
    .filter((m) => m.method === 'thread/tokenUsage/updated' && m.params.turnId === turnId)
    .map((m) => m.params.tokenUsage.last);
  return {
    input_tokens: counts.reduce((sum, c) => sum + c.inputTokens, 0),
    cached_input_tokens: counts.reduce((sum, c) => sum + c.cachedInputTokens, 0),
    output_tokens: counts.reduce((sum, c) => sum + c.outputTokens, 0),
    cost_usd: 0,
  };
}

/**
 * Plays a recording through a peer and a reader the way the backend uses them: maestro's
 * requests are sent again (same ids, as the peer numbers from 1), codex's lines are received.
 */
async function replay(entries: Entry[]) {
  const events: BackendEvent[] = [];
  const reader = createCodexTurnReader((event) => events.push(event));
  const peer = createRpcPeer({
    send: () => true,
    onNotification: (method, params) => reader.notification(method, params),
    onMalformed: (line) => events.push({ kind: 'activity', text: `malformed ${line}` }),
  });
  const answers = new Map<number, Promise<unknown>>();
  for (const { from, message } of entries) {
    if (from === 'codex') {
      peer.receive(JSON.stringify(message));
      await Promise.resolve(); // let an answered request's continuation run, as between two reads of a pipe
      continue;
    }
    if (message.id === undefined) {
      peer.notify(message.method);
      continue;
    }
    if (message.method === 'turn/start') reader.open();
    const answer = peer.request(message.method, message.params);
    answers.set(
      message.id,
      answer.catch((error: unknown) => error),
    );
    if (message.method === 'thread/start' || message.method === 'thread/resume')
      void answer.then((result: any) => reader.thread(result.thread.id)).catch(() => {});
    if (message.method === 'turn/start') void answer.then((result: any) => reader.started(result.turn.id));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { events, answers, reader };
}

const ends = (events: BackendEvent[]) => events.filter((e) => e.kind === 'turn_end');

describe('the JSON-RPC peer', () => {
  const peer = (overrides: Partial<RpcHandlers> = {}) => {
    const sent: Message[] = [];
    const notes: Array<[string, unknown]> = [];
    const malformed: string[] = [];
    const rpc = createRpcPeer({
      send: (line) => (sent.push(JSON.parse(line)), true),
      onNotification: (method, params) => notes.push([method, params]),
      onMalformed: (line) => malformed.push(line),
      ...overrides,
    });
    return { rpc, sent, notes, malformed };
  };

  it('matches answers to requests by id, in any order; an error answer rejects with its code and message', async () => {
    const { rpc, sent } = peer();
    const a = rpc.request('a', { x: 1 });
    const b = rpc.request('b', null);
    expect(sent).toEqual([
      { id: 1, method: 'a', params: { x: 1 } },
      { id: 2, method: 'b', params: null },
    ]);
    rpc.receive('{"id":2,"error":{"code":-32600,"message":"no active turn to steer"}}');
    rpc.receive('{"id":1,"result":{"ok":true}}');
    await expect(a).resolves.toEqual({ ok: true });
    const error = (await b.catch((e: unknown) => e)) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ method: 'b', code: -32600, message: 'no active turn to steer' });
    rpc.notify('initialized');
    expect(sent.at(-1)).toEqual({ method: 'initialized' });
  });

  it("answers the other side's requests: with the handler's answer, else method not found; a throwing handler is an error answer", () => {
    const plain = peer();
    plain.rpc.receive('{"id":"srv-1","method":"item/tool/requestUserInput","params":{}}');
    expect(plain.sent).toEqual([
      { id: 'srv-1', error: { code: -32601, message: 'item/tool/requestUserInput is not supported' } },
    ]);
    const handled = peer({
      onRequest: (method) => {
        if (method === 'boom') throw new Error('handler broke');
        return { result: { decision: 'decline' } };
      },
    });
    handled.rpc.receive('{"id":7,"method":"item/commandExecution/requestApproval","params":{"command":"rm -rf /"}}');
    handled.rpc.receive('{"id":8,"method":"boom"}');
    expect(handled.sent).toEqual([
      { id: 7, result: { decision: 'decline' } },
      { id: 8, error: { code: -32601, message: 'handler broke' } },
    ]);
  });

  it('passes lines of no known shape to onMalformed and never throws; notifications with odd params still arrive', () => {
    const { rpc, notes, malformed } = peer();
    const bad = [
      'not json',
      'null',
      '42',
      '[1,2]',
      '{}',
      '{"id":99,"result":{}}', // an answer to nothing we asked
      '{"id":{"x":1},"result":1}',
      '{"method":7}',
      '{"jsonrpc":"2.0"',
      'x'.repeat(100_000),
    ];
    for (const line of bad) expect(() => rpc.receive(line)).not.toThrow();
    expect(malformed).toEqual(bad);
    rpc.receive('{"method":"turn/started","params":"not an object"}');
    rpc.receive('');
    expect(notes).toEqual([['turn/started', {}]]);
  });

  it('fails waiting and later requests once closed, and a request it could not send', async () => {
    const { rpc } = peer();
    const waiting = rpc.request('turn/start', {});
    rpc.close('codex exited');
    await expect(waiting).rejects.toMatchObject({ code: GONE, message: 'codex exited' });
    await expect(rpc.request('turn/steer', {})).rejects.toMatchObject({ code: GONE });
    const deaf = createRpcPeer({ send: () => false, onNotification: () => {} });
    await expect(deaf.request('initialize', {})).rejects.toMatchObject({ code: GONE, method: 'initialize' });
  });
});

describe('recorded app-server transcripts through the reader', () => {
  it('a turn (X15): the thread id, activity, input windows, the final message and the turn’s token counts', async () => {
    const entries = recording('codex-app-turn.jsonl');
    const { events, answers } = await replay(entries);
    const [turn] = turnsCompleted(entries);
    const threadId = fromCodex(entries).find((m) => m.method === 'thread/started')!.params.thread.id;
    expect(events.filter((e) => e.kind === 'session')).toEqual([{ kind: 'session', id: threadId }]);
    expect(events.filter((e) => e.kind === 'activity')).toEqual([
      { kind: 'activity', text: 'Logging progress.' },
      { kind: 'activity', text: '→ maestro-tools.team_msg completed' },
      { kind: 'activity', text: 'IMPL-015 finished.' },
    ]);
    expect(events.some((e) => e.kind === 'input_window')).toBe(true);
    expect(ends(events)).toEqual([
      {
        kind: 'turn_end',
        outcome: 'completed',
        final_message: 'IMPL-015 finished.',
        error: null,
        usage: recordedUsage(entries, turn.id),
      },
    ]);
    expect(recordedUsage(entries, turn.id).input_tokens).toBeGreaterThan(0);
    expect(await answers.get(1)).toMatchObject({ platformOs: 'linux' });
  });

  it('a steered turn (X16): one turn_end with the answer to the steered text; a wrong or late steer is an error answer', async () => {
    const entries = recording('codex-app-steer.jsonl');
    const { events, answers } = await replay(entries);
    expect(ends(events)).toEqual([expect.objectContaining({ outcome: 'completed', final_message: 'Heard you.' })]);
    const steers = entries.filter((e) => e.from === 'maestro' && e.message.method === 'turn/steer');
    const [wrong, good, late] = await Promise.all(steers.map((s) => answers.get(s.message.id)));
    expect(wrong).toMatchObject({ code: -32600, message: expect.stringContaining('expected active turn id') });
    expect(good).toEqual({ turnId: turnsCompleted(entries)[0].id });
    expect(late).toMatchObject({ code: -32600, message: 'no active turn to steer' });
  });

  it('an interrupted turn (X17) ends as interrupted; the next turn completes on its own', async () => {
    const entries = recording('codex-app-interrupt.jsonl');
    // codex says so itself: the reader needs no hint that an interrupt was asked for
    const result = await replay(entries);
    expect(ends(result.events)).toEqual([
      { kind: 'turn_end', outcome: 'interrupted', final_message: null, error: 'interrupted', usage: null },
      expect.objectContaining({ outcome: 'completed', final_message: 'Second try.', error: null }),
    ]);
  });

  it('a resumed thread (X18): the same thread id, and only the new turn’s token counts (not the old turn’s repeated one)', async () => {
    const entries = recording('codex-app-resume.jsonl');
    const { events } = await replay(entries);
    const resumed = entries.find((e) => e.message.method === 'thread/resume')!.message.params.threadId;
    expect(events.filter((e) => e.kind === 'session')).toEqual([{ kind: 'session', id: resumed }]);
    const [turn] = turnsCompleted(entries);
    const [end] = ends(events);
    expect(end).toMatchObject({ outcome: 'completed', final_message: 'second turn done' });
    expect(end?.kind === 'turn_end' && end.usage).toEqual(recordedUsage(entries, turn.id));
    const repeated = fromCodex(entries).find((m) => m.method === 'thread/tokenUsage/updated')!;
    expect(repeated.params.turnId).not.toBe(turn.id);
  });

  it('a failed turn (X19) is errored with codex’s message', async () => {
    const entries = recording('codex-app-failed.jsonl');
    const { events } = await replay(entries);
    const message = turnsCompleted(entries)[0].error.message;
    expect(message).toMatch(/high demand/);
    expect(ends(events)).toEqual([expect.objectContaining({ outcome: 'errored', error: message })]);
  });

  it('skips notifications of the wrong shape without throwing, and ends an open turn only once', () => {
    const events: BackendEvent[] = [];
    const reader = createCodexTurnReader((event) => events.push(event));
    reader.open();
    const odd: Array<[string, Record<string, unknown>]> = [
      ['thread/started', { thread: 'x' }],
      ['turn/started', { turn: { id: 7 } }],
      ['item/completed', { item: null }],
      ['item/completed', { item: { type: 'agentMessage', text: { not: 'text' } } }],
      ['item/completed', { item: { type: 'mcpToolCall', server: null, tool: ['x'] } }],
      ['thread/tokenUsage/updated', { turnId: 't', tokenUsage: { last: 'many' } }],
      ['error', { error: { message: { not: 'text' } } }],
      ['turn/completed', { turn: null }],
    ];
    for (const [method, params] of odd) expect(() => reader.notification(method, params)).not.toThrow();
    reader.notification('turn/completed', { turn: { status: 'failed', error: { message: 7 } } });
    reader.fail('codex exited');
    // An error whose message is not text explains nothing: the turn failed, and says just that.
    expect(ends(events)).toEqual([
      { kind: 'turn_end', outcome: 'errored', final_message: null, error: 'turn failed', usage: null },
    ]);
  });
});

/**
 * A stand-in `codex` that plays a recording back: for each request maestro sends it checks the
 * method is the recorded one, then prints what codex printed up to maestro's next recorded
 * message (answers renumbered to maestro's ids). At the end it waits for stdin to close.
 */
function replayer(dir: string, name: string): string {
  const file = path.join(dir, 'codex-replay.cjs');
  writeFileSync(
    file,
    `
const entries = require('fs').readFileSync(${JSON.stringify(path.join(RECORDED, name))}, 'utf8').split('\\n').filter(Boolean).map(JSON.parse);
let at = 0; const ids = new Map(); let buffer = '';
const play = () => {
  while (at < entries.length && entries[at].from === 'codex') {
    const m = { ...entries[at++].message };
    if (m.id !== undefined && m.method === undefined) m.id = ids.get(m.id);
    process.stdout.write(JSON.stringify(m) + '\\n');
  }
};
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\\n'); nl >= 0; nl = buffer.indexOf('\\n')) {
    const got = JSON.parse(buffer.slice(0, nl)); buffer = buffer.slice(nl + 1);
    const want = entries[at] && entries[at].message;
    if (!want || want.method !== got.method) { process.stderr.write('expected ' + (want && want.method) + ', got ' + got.method + '\\n'); process.exit(3); }
    at++;
    if (want.id !== undefined) ids.set(want.id, got.id);
    play();
  }
});
process.stdin.on('end', () => process.exit(0));
`,
  );
  return file;
}

function spec(dir: string, fixture: string): LaunchSpec {
  return {
    agentId: 'a1',
    taskName: 'IMPL-1',
    cwd: dir,
    model: null,
    reasoningEffort: null,
    instructions: 'ROLE',
    mcp: { command: process.execPath, args: ['mcp'], env: { MAESTRO_AGENT_ID: 'a1' } },
    env: { PATH: process.env.PATH ?? '' },
    stopGraceMs: 500,
    agentDir: dir,
    settings: { command: [process.execPath, replayer(dir, fixture)] },
  };
}

describe('the app-server backend against a replayed codex', () => {
  it('runs the recorded turn: session, a completed turn_end with usage, then takes no turn while one is open; stops cleanly', async () => {
    const dir = tempDir('maestro-codex-replay-');
    const events: BackendEvent[] = [];
    const worker = codexAppServerBackend.launch(
      spec(dir, 'codex-app-turn.jsonl'),
      { text: 'task', resumeSessionId: null },
      (e) => events.push(e),
    );
    expect(worker.canTakeTurn()).toBe(false);
    await until(() => ends(events).length === 1, 20_000);
    expect(ends(events)[0]).toMatchObject({ outcome: 'completed', final_message: 'IMPL-015 finished.', error: null });
    expect(events[0]).toEqual({ kind: 'session', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(worker.canTakeTurn()).toBe(true);
    expect(worker.canInject()).toBe(false);
    await worker.stop(2000);
    expect(events.at(-1)).toEqual({ kind: 'exit', code: 0, signal: null, error: null });
  });

  it('interrupts through turn/interrupt (the recorded request), then runs the next turn in the same process', async () => {
    const dir = tempDir('maestro-codex-replay-');
    const events: BackendEvent[] = [];
    const worker = codexAppServerBackend.launch(
      spec(dir, 'codex-app-interrupt.jsonl'),
      { text: 'task', resumeSessionId: null },
      (e) => events.push(e),
    );
    await until(() => worker.canInject(), 20_000); // the turn's id is known
    worker.interrupt();
    await until(() => ends(events).length === 1, 20_000);
    expect(ends(events)[0]).toMatchObject({ outcome: 'interrupted', error: 'interrupted' });
    expect(worker.canTakeTurn()).toBe(true);
    worker.nextTurn('try again');
    await until(() => ends(events).length === 2, 20_000);
    expect(ends(events)[1]).toMatchObject({ outcome: 'completed', final_message: 'Second try.' });
    const pid = worker.pid;
    await worker.stop(2000);
    expect(pid).toBeGreaterThan(0);
  });

  it('a codex that exits mid-turn ends the turn errored with its stderr; one that prints garbage does not crash', async () => {
    const dir = tempDir('maestro-codex-replay-');
    const fake = path.join(dir, 'dies.cjs');
    writeFileSync(
      fake,
      `process.stdin.once('data', () => { console.log('not json'); console.log('{"id":{"x":1}}'); console.error('panicked at the disco'); process.exit(101); });`,
    );
    const events: BackendEvent[] = [];
    codexAppServerBackend.launch(
      { ...spec(dir, 'codex-app-turn.jsonl'), settings: { command: [process.execPath, fake] } },
      { text: 'task', resumeSessionId: null },
      (e) => events.push(e),
    );
    await until(() => events.some((e) => e.kind === 'exit'), 20_000);
    expect(ends(events)).toEqual([
      expect.objectContaining({
        outcome: 'errored',
        error: 'codex exited (code 101) before the turn completed: panicked at the disco',
      }),
    ]);
    expect(events.filter((e) => e.kind === 'activity').map((e) => e.kind === 'activity' && e.text)).toEqual([
      'not json',
      '{"id":{"x":1}}',
    ]);
    expect(events.at(-1)).toMatchObject({ kind: 'exit', code: 101 });
  });
});

describe('a message codex refuses mid-turn', () => {
  it('is not lost: a steer rejected because the turn just ended opens the next turn', async () => {
    const dir = tempDir('maestro-codex-race-');
    const seen = path.join(dir, 'turns.json');
    const fake = path.join(dir, 'racy-codex.cjs');
    // Its turn ends the moment a steer arrives, and it refuses the steer: the race between a message and a turn's end.
    writeFileSync(
      fake,
      `
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const turns = []; let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\\n'); nl >= 0; nl = buffer.indexOf('\\n')) {
    const m = JSON.parse(buffer.slice(0, nl)); buffer = buffer.slice(nl + 1);
    if (m.method === 'initialize') out({ id: m.id, result: {} });
    if (m.method === 'thread/start') out({ id: m.id, result: { thread: { id: 'th-1' } } });
    if (m.method === 'turn/start') {
      const id = 'turn-' + (turns.length + 1);
      turns.push(m.params.input[0].text);
      require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(turns));
      out({ id: m.id, result: { turn: { id, status: 'inProgress', items: [] } } });
      if (turns.length === 2) out({ method: 'turn/completed', params: { threadId: 'th-1', turn: { id, status: 'completed', error: null, items: [] } } });
    }
    if (m.method === 'turn/steer') {
      out({ method: 'turn/completed', params: { threadId: 'th-1', turn: { id: 'turn-1', status: 'completed', error: null, items: [] } } });
      out({ id: m.id, error: { code: -32600, message: 'no active turn to steer' } });
    }
  }
});
`,
    );
    const events: BackendEvent[] = [];
    const worker = codexAppServerBackend.launch(
      { ...spec(dir, 'codex-app-turn.jsonl'), settings: { command: [process.execPath, fake] } },
      { text: 'first task', resumeSessionId: null },
      (e) => events.push(e),
    );
    await until(() => worker.canInject(), 20_000);
    expect(worker.inject('MAIL: the fixtures moved')).toBe(true);
    await until(() => events.some((e) => e.kind === 'activity' && e.text.includes('did not take a message')), 20_000);
    expect(ends(events)).toHaveLength(1);
    expect(worker.canTakeTurn()).toBe(true);
    worker.nextTurn('second task');
    await until(() => ends(events).length === 2, 20_000);
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual(['first task', 'MAIL: the fixtures moved\n\nsecond task']);
    await worker.stop(2000);
  });
});

describe('the app-server command line', () => {
  it('adds maestro-tools approved and required, passes the environment by name only, and sets model and effort', () => {
    const secret = 'sk-never-on-a-command-line';
    const argv = appServerArgs({
      ...spec(tempDir('maestro-codex-args-'), 'codex-app-turn.jsonl'),
      settings: { command: ['/opt/codex'] },
      model: 'gpt-5',
      reasoningEffort: 'high',
      env: { PATH: '/bin', OPENAI_API_KEY: secret, MAESTRO_AGENT_ID: 'a1' },
      mcp: { command: '/usr/bin/node', args: ['main.js', 'mcp'], env: { MAESTRO_AGENT_ID: 'a1' } },
    });
    expect(argv.slice(0, 2)).toEqual(['/opt/codex', 'app-server']);
    expect(argv.join(' ')).not.toContain(secret);
    const overrides = argv.filter((_, i) => argv[i - 1] === '-c');
    expect(overrides).toEqual(
      expect.arrayContaining([
        'mcp_servers.maestro-tools.command="/usr/bin/node"',
        'mcp_servers.maestro-tools.args=["main.js","mcp"]',
        'mcp_servers.maestro-tools.env={MAESTRO_AGENT_ID = "a1"}',
        'mcp_servers.maestro-tools.env_vars=["PATH","OPENAI_API_KEY"]',
        'mcp_servers.maestro-tools.default_tools_approval_mode="approve"',
        'mcp_servers.maestro-tools.required=true',
        'model="gpt-5"',
        'model_reasoning_effort="high"',
      ]),
    );
  });
});
