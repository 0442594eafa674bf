/**
 * The claude and codex backends against CLIs that misbehave: garbage on stdout, an exit before
 * the turn ends, a crash at start, no answer at all, SIGTERM ignored. Every case ends the turn
 * (completed when a valid final line came, else errored with the reason) and leaves no process.
 * The CLIs are small node scripts standing in for `claude` and `codex` through
 * `backends.<name>.command` in .maestro/config.json.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentRows, alive, startProject, until, type Project } from './helpers/project.js';
import { PATIENCE } from './helpers/patience.js';
import { tempDir } from './helpers/temp.js';

type Outcome = { status: string; turn: number; result?: unknown; error?: string; agent_id: string };
type Waited = { timed_out: boolean; agents: Record<string, Outcome> };

const BACKENDS = ['claude', 'codex'] as const;
type Name = (typeof BACKENDS)[number];
/** The CLI a fake stands in for: Claude Code, `codex app-server` (the default), or `codex exec` (the fallback). */
type Fake = Name | 'codex-exec';

/** Lines no CLI should print: not JSON, cut short, JSON of shapes and types neither parser knows. */
const GARBAGE = [
  'not json at all',
  '{"type":"assistant","message":{"content":[{"type":"text","text":"cut sho',
  'null',
  '42',
  '"a string"',
  '[1,2,3]',
  'true',
  '{}',
  '{"type":42,"session_id":7}',
  '{"type":"assistant","message":null}',
  '{"type":"assistant","message":{"content":[null,7,"text",{"type":"text","text":{"not":"text"}},{"type":"tool_use","name":{"x":1},"input":null}]}}',
  '{"type":"user","message":{"content":[null,{"type":"tool_result"}]}}',
  '{"type":"system","subtype":"init","session_id":{"not":"an id"}}',
  '{"type":"thread.started","thread_id":["not","an","id"]}',
  '{"type":"item.completed","item":null}',
  '{"type":"item.completed","item":"an item"}',
  '{"type":"item.completed","item":{"type":"agent_message","text":{"not":"text"}}}',
  '{"type":"item.completed","item":{"type":"mcp_tool_call","server":null}}',
  '{"type":"error","message":{"not":"text"}}',
  // JSON-RPC of the wrong shapes (codex app-server)
  '{"id":"nobody-asked","result":{}}',
  '{"id":{"x":1},"error":7}',
  '{"method":"turn/completed","params":{"turn":"done"}}',
  '{"method":"item/completed","params":{"item":null}}',
  '{"method":"item/completed","params":{"item":{"type":"agentMessage","text":{"not":"text"}}}}',
  '{"method":"thread/tokenUsage/updated","params":{"tokenUsage":{"last":"lots"}}}',
  '{"method":"error","params":{"error":{"message":{"not":"text"}}}}',
  '{"id":901,"method":"item/commandExecution/requestApproval","params":{"command":"rm -rf /"}}',
  '\u0000\u0001 binary \ufffd',
  'x'.repeat(5 * 1024 * 1024), // over the 4 MiB line bound
];

/** What each fake prints, after GARBAGE, to end a turn well (a valid final line) or badly. */
const FINALS: Record<Fake, Record<string, string[]>> = {
  claude: {
    // a real turn's shapes (test/fixtures/recorded/FACTS.md)
    result: [
      '{"type":"system","subtype":"init","session_id":"fake-session-1"}',
      '{"type":"assistant","message":{"content":[{"type":"text","text":"all done"}]},"session_id":"fake-session-1"}',
      '{"type":"result","subtype":"success","is_error":false,"result":"all done","session_id":"fake-session-1","total_cost_usd":0.01,"usage":{"input_tokens":10,"output_tokens":5}}',
    ],
    // a result line whose fields have the wrong types
    'bad-fields': [
      '{"type":"assistant","message":{"content":[{"type":"text","text":"partial answer"}]}}',
      '{"type":"result","subtype":"success","is_error":false,"result":{"not":"text"},"total_cost_usd":"free","usage":{"input_tokens":"many","output_tokens":null}}',
    ],
    'bad-failure': ['{"type":"result","subtype":"error_during_execution","is_error":true,"result":{"not":"text"}}'],
  },
  'codex-exec': {
    result: [
      '{"type":"thread.started","thread_id":"fake-thread-1"}',
      '{"type":"turn.started"}',
      '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"all done"}}',
      '{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":5}}',
    ],
    'bad-fields': [
      '{"type":"item.completed","item":{"type":"agent_message","text":"partial answer"}}',
      '{"type":"item.completed","item":{"type":"agent_message","text":["not","text"]}}',
      '{"type":"turn.completed","usage":{"input_tokens":"many","output_tokens":null}}',
    ],
    'bad-failure': ['{"type":"turn.failed","error":{"message":{"not":"text"}}}'],
  },
  // after its answers to initialize, thread/start (thread fake-thread-1) and turn/start (turn fake-turn-1)
  codex: {
    result: [
      '{"method":"turn/started","params":{"threadId":"fake-thread-1","turn":{"id":"fake-turn-1","status":"inProgress"}}}',
      '{"method":"item/completed","params":{"threadId":"fake-thread-1","turnId":"fake-turn-1","item":{"type":"agentMessage","id":"m1","text":"all done"}}}',
      '{"method":"thread/tokenUsage/updated","params":{"threadId":"fake-thread-1","turnId":"fake-turn-1","tokenUsage":{"last":{"inputTokens":10,"cachedInputTokens":0,"outputTokens":5}}}}',
      '{"method":"turn/completed","params":{"threadId":"fake-thread-1","turn":{"id":"fake-turn-1","status":"completed","error":null}}}',
    ],
    'bad-fields': [
      '{"method":"item/completed","params":{"turnId":"fake-turn-1","item":{"type":"agentMessage","text":"partial answer"}}}',
      '{"method":"item/completed","params":{"turnId":"fake-turn-1","item":{"type":"agentMessage","text":["not","text"]}}}',
      '{"method":"thread/tokenUsage/updated","params":{"turnId":"fake-turn-1","tokenUsage":{"last":{"inputTokens":"many","outputTokens":null}}}}',
      '{"method":"turn/completed","params":{"turn":{"id":"fake-turn-1","status":"completed","error":"none"}}}',
    ],
    'bad-failure': [
      '{"method":"turn/completed","params":{"turn":{"id":"fake-turn-1","status":"failed","error":{"message":{"not":"text"}}}}}',
    ],
  },
};

/**
 * A fake `claude` or `codex`: it waits for its turn on stdin (Claude Code: the first user line;
 * codex app-server: `turn/start`, after answering `initialize` and `thread/start`; codex exec: the
 * whole prompt, then end of input), finds `MODE=<mode>` in it and behaves so:
 * `exit` prints GARBAGE and exits 0 with no final line; `result`, `bad-fields`, `bad-failure`
 * print GARBAGE then FINALS[mode]; `silent` and `deaf` print nothing and never exit, after
 * starting a child that does the same (`deaf`: both ignore SIGTERM and end of input). The pids go
 * to `<dir>/<name>-<mode>.pids`.
 */
function fakeCli(dir: string, fake: Fake): string {
  const name: Name = fake === 'claude' ? 'claude' : 'codex';
  const file = path.join(dir, `fake-${fake}.cjs`);
  const script = `
const { spawn } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const path = require('node:path');
const NAME = ${JSON.stringify(name)};
const GARBAGE = ${JSON.stringify(GARBAGE)};
const FINALS = ${JSON.stringify(FINALS[fake])};
const RPC = ${JSON.stringify(fake === 'codex')};
let input = '';
let started = false;
const begin = () => {
  if (started) return;
  started = true;
  const mode = /MODE=([a-z-]+)/.exec(input)?.[1] ?? 'none';
  if (mode === 'silent' || mode === 'deaf') {
    const hang = (mode === 'deaf' ? "process.on('SIGTERM', () => {}); " : '') + 'setInterval(() => {}, 1000)';
    if (mode === 'deaf') process.on('SIGTERM', () => {});
    const child = spawn(process.execPath, ['-e', hang], { stdio: 'inherit' });
    writeFileSync(path.join(__dirname, NAME + '-' + mode + '.pids'), JSON.stringify([process.pid, child.pid]));
    setInterval(() => {}, 1000);
    return;
  }
  process.stderr.write('line one\\nline two\\n\\nline three\\nline four\\n');
  const lines = [...GARBAGE, ...(FINALS[mode] ?? [])];
  process.stdout.write(lines.join('\\n') + '\\n', () => {
    // Claude Code and the app-server stay for a next turn after a result; the rest leave now.
    if (mode !== 'result' || (NAME !== 'claude' && !RPC)) process.exit(0);
  });
};
let rpcBuffer = '';
const answer = (id, result) => process.stdout.write(JSON.stringify({ id, result }) + '\\n');
process.stdin.on('data', (chunk) => {
  if (RPC) {
    rpcBuffer += chunk;
    for (let nl = rpcBuffer.indexOf('\\n'); nl >= 0; nl = rpcBuffer.indexOf('\\n')) {
      const request = JSON.parse(rpcBuffer.slice(0, nl));
      rpcBuffer = rpcBuffer.slice(nl + 1);
      if (request.method === 'initialize') answer(request.id, { userAgent: 'fake' });
      if (request.method === 'thread/start') answer(request.id, { thread: { id: 'fake-thread-1' } });
      if (request.method === 'turn/start') {
        answer(request.id, { turn: { id: 'fake-turn-1', status: 'inProgress', items: [] } });
        input = request.params.input[0].text;
        begin();
      }
    }
    return;
  }
  input += chunk;
  if (NAME === 'claude' && input.includes('\\n')) begin();
});
process.stdin.on('end', () => { if (!RPC) begin(); });
`;
  writeFileSync(file, script);
  return file;
}

async function fakeProject(
  limits: Record<string, number> = {},
  codexTransport: 'app-server' | 'exec' = 'app-server',
): Promise<{ p: Project; dir: string }> {
  const dir = tempDir('maestro-fakes-');
  const codexFake = codexTransport === 'exec' ? 'codex-exec' : 'codex';
  const backends = {
    claude: { command: [process.execPath, fakeCli(dir, 'claude')] },
    codex: { command: [process.execPath, fakeCli(dir, codexFake)], transport: codexTransport },
  };
  const p = await startProject({ config: { backends, limits: { max_open_agents: 16, ...limits } } });
  return { p, dir };
}

const task = (backend: Name, mode: string) => `${backend.toUpperCase()}-${mode.toUpperCase()}`;

async function spawn(p: Project, backend: Name, mode: string): Promise<void> {
  await p.ok('spawn_agent', { task_name: task(backend, mode), backend, message: `Fake task. MODE=${mode}` });
}

/** Waits until every agent's turn has ended, then returns each one's outcome by task name. */
async function outcomes(p: Project, timeoutMs = 20_000): Promise<Record<string, Outcome>> {
  await until(
    async () => (await agentRows(p)).every((a) => a.status !== 'running' && a.status !== 'pending_init'),
    timeoutMs,
  );
  const waited = (await p.ok('wait_agent', { timeout_ms: 1000 })) as unknown as Waited;
  return waited.agents;
}

/** Gone, or a zombie no one reaps (a killed worker's child is re-parented to a pid 1 that may not reap). */
function gone(pid: number): boolean {
  if (!alive(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return !alive(pid);
  }
}

for (const transport of ['app-server', 'exec'] as const)
  describe(`garbage on stdout (codex ${transport})`, () => {
    it('is ignored: a valid final line still ends the turn, and a CLI that exits without one leaves the agent errored, saying so', async () => {
      const { p } = await fakeProject({}, transport);
      const modes = ['exit', 'result', 'bad-fields', 'bad-failure'];
      for (const backend of BACKENDS) for (const mode of modes) await spawn(p, backend, mode);
      const agents = await outcomes(p);

      for (const backend of BACKENDS) {
        expect(agents[task(backend, 'exit')], backend).toMatchObject({
          status: 'errored',
          error: `${backend} exited (code 0) before the turn completed: line two | line three | line four`,
        });
        expect(agents[task(backend, 'result')], backend).toMatchObject({ status: 'completed', result: 'all done' });
        // A final line whose fields have the wrong types still ends the turn; the wrong fields are left out.
        expect(agents[task(backend, 'bad-fields')], backend).toMatchObject({
          status: 'completed',
          result: 'partial answer',
        });
        expect(agents[task(backend, 'bad-failure')], backend).toMatchObject({
          status: 'errored',
          error: backend === 'claude' ? 'error_during_execution' : 'turn failed',
        });
      }

      // The server is still there and answers; only well-formed session ids were recorded.
      const rows = await agentRows(p);
      expect(rows).toHaveLength(8);
      const session = (backend: Name) => rows.find((r) => r.task_name === task(backend, 'result'))!.backend_session_id;
      expect(session('claude')).toBe('fake-session-1');
      expect(session('codex')).toBe('fake-thread-1');
      expect(alive(p.serverPid)).toBe(true);
      // The over-long line reached the transcript cut, not whole.
      const exitAgent = rows.find((r) => r.task_name === task('codex', 'exit'))!;
      const transcript = readFileSync(
        path.join(p.dir, '.maestro', 'agents', exitAgent.agent_id, 'transcript.log'),
        'utf8',
      );
      expect(transcript).toContain(`${'x'.repeat(200)}… [line cut at ${4 * 1024 * 1024} bytes]`);
      expect(transcript.length).toBeLessThan(1024 * 1024);
    });
  });

describe('a CLI that cannot run', () => {
  it('exits at once with an error: errored with the exit code and its stderr', async () => {
    const crash = [
      process.execPath,
      '-e',
      'console.error("error: unknown option \'--frobnicate\'"); process.exit(2)',
      '--',
    ];
    const p = await startProject({ config: { backends: { claude: { command: crash }, codex: { command: crash } } } });
    for (const backend of BACKENDS) await spawn(p, backend, 'crash');
    const agents = await outcomes(p);
    for (const backend of BACKENDS) {
      expect(agents[task(backend, 'crash')], backend).toMatchObject({
        status: 'errored',
        error: `${backend} exited (code 2) before the turn completed: error: unknown option '--frobnicate'`,
      });
    }
    expect((await agentRows(p)).every((a) => a.pid === null)).toBe(true);
  });

  it('is not executable: errored, permission denied', async () => {
    const file = path.join(tempDir('maestro-fakes-'), 'not-executable');
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, 0o644);
    const p = await startProject({ config: { backends: { claude: { command: [file] }, codex: { command: [file] } } } });
    for (const backend of BACKENDS) await spawn(p, backend, 'noexec');
    const agents = await outcomes(p);
    for (const backend of BACKENDS) {
      expect(agents[task(backend, 'noexec')], backend).toMatchObject({
        status: 'errored',
        error: `${file}: permission denied`,
      });
    }
  });
});

describe('a CLI that never answers', () => {
  it('is stopped at the turn time limit, with everything it started, even when it ignores SIGTERM', async () => {
    // Long enough for the fakes to start and write their pids on a loaded machine.
    const limit = 1000 * PATIENCE;
    const { p, dir } = await fakeProject({ turn_timeout_ms: limit, stop_grace_ms: 200 });
    const modes = ['silent', 'deaf'];
    for (const backend of BACKENDS) for (const mode of modes) await spawn(p, backend, mode);
    const pidFiles = BACKENDS.flatMap((backend) => modes.map((mode) => path.join(dir, `${backend}-${mode}.pids`)));
    // A file can be seen before the fake has written it: it is read once it holds the whole list.
    const written = (f: string): number[] | null => {
      try {
        return JSON.parse(readFileSync(f, 'utf8')) as number[];
      } catch {
        return null;
      }
    };
    await until(() => pidFiles.every((f) => existsSync(f) && written(f) !== null), 15_000);
    const pids = pidFiles.flatMap((f) => written(f)!);
    // A worker and its child per agent (not checked alive here: on a slow machine the limit may already have passed).
    expect(pids).toHaveLength(8);
    expect(pids.every((pid) => Number.isInteger(pid) && pid > 0)).toBe(true);

    const agents = await outcomes(p);
    for (const backend of BACKENDS) {
      for (const mode of modes) {
        expect(agents[task(backend, mode)], `${backend} ${mode}`).toMatchObject({
          status: 'errored',
          error: `timed out after ${limit} ms`,
        });
      }
    }
    // The workers and the children they started, SIGTERM ignored or not.
    await until(() => pids.every(gone), 5000);
    expect((await agentRows(p)).every((a) => a.pid === null)).toBe(true);
  });
});
