/**
 * Identity and isolation: a worker's environment holds only what it needs (an allow list, plus
 * what `worker_env` in .maestro/config.json passes or sets); a worker is known by the process it
 * runs in, so a hostile worker that copies a sibling's environment, or drops its own identity,
 * acts as itself or not at all; `delete` and `clear` are not a worker's; a worker never works in
 * `.git` or `.maestro`; and no API key from the server's environment reaches a log or a transcript.
 */
import { spawn as spawnProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCaller } from '../src/agents/identity.js';
import { SELF_OWNER, startToken } from '../src/agents/liveness.js';
import { workerEnv } from '../src/agents/worker-env.js';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { createLogger } from '../src/log.js';
import { COORDINATOR } from '../src/ops/caller.js';
import { addSecret, isSecretName } from '../src/secrets.js';
import { agentRows, startProject, until, worker, type Project } from './helpers/project.js';
import { newAgent } from './helpers/new-agent.js';
import { CLI, FIXTURES, ROOT } from './helpers/paths.js';
import { tempDir } from './helpers/temp.js';

type Waited = { agents: Record<string, { status: string; result?: unknown; error?: string }> };

/** A command worker whose result is the names of its environment and a few values. */
const ENV_REPORTER = [
  process.execPath,
  '-e',
  `const e = process.env;
   console.log(JSON.stringify({ keys: Object.keys(e).sort(), session: e.MAESTRO_SESSION, set: e.FROM_CONFIG }));`,
];

async function finished(p: Project, task: string): Promise<{ status: string; result?: unknown; error?: string }> {
  let outcome: Waited['agents'][string] | undefined;
  await until(async () => {
    const waited = (await p.ok('wait_agent', { timeout_ms: 20_000, targets: [task] })) as unknown as Waited;
    outcome = waited.agents[task];
    return outcome !== undefined && outcome.status !== 'running' && outcome.status !== 'pending_init';
  }, 60_000);
  return outcome!;
}

describe('a worker’s environment', () => {
  it('holds the basics, what the configuration passes and sets, and its identity; nothing else', async () => {
    const p = await startProject({
      config: { worker_env: { pass: ['DATABASE_URL', 'MYAPP_*', 'MAESTRO_*'], set: { FROM_CONFIG: 'yes' } } },
      env: {
        LC_ALL: 'C',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
        SOME_UNRELATED_SECRET: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
        GITHUB_TOKEN: 'z',
        DATABASE_URL: 'postgres://localhost/app',
        MYAPP_MODE: 'test',
        OTHERAPP_MODE: 'no',
        // a parent Claude Code's session, and a session the server itself was started in
        CLAUDECODE: '1',
        CLAUDE_CODE_ENTRYPOINT: 'cli',
        CLAUDE_CODE_SESSION_ID: 'parent-session',
        MAESTRO_SESSION: 'TC-outer',
      },
    });
    await p.ok('spawn_agent', {
      task_name: 'ENV-001',
      backend: 'command',
      command: ENV_REPORTER,
      message: 'list your environment',
      session_id: 'TC-inner',
    });
    const outcome = await finished(p, 'ENV-001');
    expect(outcome.status, outcome.error).toBe('completed');
    const seen = outcome.result as { keys: string[]; session: string; set: string };
    // The server's environment is the test's plus the few basics the SDK's stdio client adds from
    // the test runner's, so the rest can be pinned down: MAESTRO_LOG_FILE stays out although
    // MAESTRO_* is passed, and so does everything unrelated.
    const runnerBasics = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];
    expect(seen.keys).toEqual(expect.arrayContaining(['PATH', 'HOME']));
    expect(seen.keys.filter((k) => !runnerBasics.includes(k))).toEqual([
      'ANTHROPIC_BASE_URL',
      'DATABASE_URL',
      'FROM_CONFIG',
      'LC_ALL',
      'MAESTRO_AGENT_ID',
      'MAESTRO_DATA_DIR',
      'MAESTRO_DB',
      'MAESTRO_HOST',
      'MAESTRO_SESSION',
      'MAESTRO_TASK',
      'MYAPP_MODE',
    ]);
    // identity comes from maestro, not from the server's environment
    expect(seen.session).toBe('TC-inner');
    expect(seen.set).toBe('yes');
  });

  it('is built from an allow list; identity and a parent agent’s session are never taken from the parent', () => {
    const parent = {
      PATH: '/bin',
      HOME: '/home/u',
      LC_CTYPE: 'C.UTF-8',
      https_proxy: 'http://proxy:3128',
      ANTHROPIC_API_KEY: 'a',
      CLAUDE_CONFIG_DIR: '/c',
      ENABLE_TOOL_SEARCH: 'false',
      OPENAI_API_KEY: 'o',
      CODEX_HOME: '/x',
      MAESTRO_LOG_LEVEL: 'debug',
      MAESTRO_AGENT_ID: 'forged',
      MAESTRO_SESSION: 'TC-outer',
      MAESTRO_DB: '/tmp/other.db',
      MAESTRO_LOG_FILE: '/tmp/log',
      CLAUDECODE: '1',
      CLAUDE_CODE_SSE_PORT: '1234',
      CODEX_THREAD_ID: 't',
      AWS_SECRET_ACCESS_KEY: 'y',
      NODE_OPTIONS: '--require /tmp/hook.js',
      UNSET: undefined,
    };
    expect(Object.keys(workerEnv(parent, { pass: ['MAESTRO_*', 'CLAUDE*', 'CODEX_*'], set: {} })).sort()).toEqual(
      [
        'PATH',
        'HOME',
        'LC_CTYPE',
        'https_proxy',
        'ANTHROPIC_API_KEY',
        'CLAUDE_CONFIG_DIR',
        'ENABLE_TOOL_SEARCH',
        'OPENAI_API_KEY',
        'CODEX_HOME',
        'MAESTRO_LOG_LEVEL',
      ].sort(),
    );
    // `set` wins over what is passed, and cannot name an identity even if the check at load was skipped
    const env = workerEnv(parent, { pass: ['AWS_*'], set: { HOME: '/w', MAESTRO_AGENT_ID: 'x' } });
    expect(env).toMatchObject({ HOME: '/w', AWS_SECRET_ACCESS_KEY: 'y' });
    expect(env.MAESTRO_AGENT_ID).toBeUndefined();
  });
});

describe('secrets stay out of logs and transcripts', () => {
  it('API keys from the server’s environment appear in no log, server.log or transcript', async () => {
    const anthropic = `sk-ant-isolation-${randomBytes(12).toString('hex')}`;
    const openai = `sk-openai-isolation-${randomBytes(12).toString('hex')}`;
    const p = await startProject({
      env: { ANTHROPIC_API_KEY: anthropic, OPENAI_API_KEY: openai, MAESTRO_LOG_LEVEL: 'debug' },
    });
    // a worker that uses its own maestro server, starts a worker below it, and names a target
    // that is a key (the error is logged by its server; the task text is in its transcript)
    await p.ok(
      'spawn_agent',
      worker('IMPL-001', {
        progress: ['context loaded'],
        calls: [{ name: 'send_message', args: { target: anthropic, message: `key ${openai}` } }],
        spawn: worker('SUB-001', { progress: ['sub step'], report: { status: 'completed' } }),
        wait: true,
        report: { status: 'completed' },
      }),
    );
    // a careless worker that prints its keys, and fails with a key on stderr
    await p.ok('spawn_agent', {
      task_name: 'LEAKY-001',
      backend: 'command',
      command: [
        process.execPath,
        '-e',
        `const e = process.env;
         console.log('anthropic ' + e.ANTHROPIC_API_KEY);
         console.log('openai ' + e.OPENAI_API_KEY);
         console.error('failed with ' + e.ANTHROPIC_API_KEY);
         process.exit(3);`,
      ],
      message: 'print what you should not',
    });
    // a worker whose task text carries a key
    await p.ok('spawn_agent', worker('TASK-001', { print: 'done' }, { message: `use ${anthropic}\n{"print":"ok"}` }));

    expect((await finished(p, 'IMPL-001')).status).toBe('completed');
    expect((await finished(p, 'LEAKY-001')).status).toBe('errored');
    await finished(p, 'TASK-001');
    await until(async () => (await agentRows(p)).every((a) => a.status !== 'running' && a.status !== 'pending_init'));
    const rows = await agentRows(p);
    expect(rows.map((a) => a.task_name).sort()).toEqual(['IMPL-001', 'LEAKY-001', 'SUB-001', 'TASK-001']);

    const dataDir = path.join(p.dir, '.maestro');
    const agentIds = readdirSync(path.join(dataDir, 'agents'));
    expect(agentIds).toHaveLength(4);
    const files = [
      p.logFile,
      ...listFiles(path.join(dataDir, 'logs')),
      ...agentIds.flatMap((id) =>
        ['server.log', 'transcript.log', 'transcript.log.1'].map((f) => path.join(dataDir, 'agents', id, f)),
      ),
    ].filter((f) => existsSync(f));
    const written = files.map((f) => [f, readFileSync(f, 'utf8')] as const);
    // not vacuous: the logs are there, and the keys did reach the transcripts, scrubbed
    const logs = written.filter(([f]) => !f.includes('transcript'));
    expect(logs.some(([, text]) => text.includes('"msg":"tool call"'))).toBe(true);
    // the worker's server logged the failed send_message, with the key in it scrubbed
    expect(logs.some(([, text]) => /"tool":"send_message".*\[redacted\]/.test(text))).toBe(true);
    const leakyId = rows.find((a) => a.task_name === 'LEAKY-001')!.agent_id;
    const leakyTranscript = readFileSync(path.join(dataDir, 'agents', leakyId, 'transcript.log'), 'utf8');
    expect(leakyTranscript).toContain('out anthropic [redacted]');
    expect(leakyTranscript).toContain('out openai [redacted]');
    expect(leakyTranscript).toMatch(/errored: exited with code 3: failed with \[redacted\]/);
    for (const [file, text] of written) {
      for (const value of [anthropic, openai]) {
        expect(text.includes(value), `${file} contains ${value.slice(0, 12)}…`).toBe(false);
      }
    }
    // and nobody but the owner can read any of it: database, logs, transcripts
    const everything = listAll(dataDir);
    expect(everything.length).toBeGreaterThan(10);
    for (const entry of everything) {
      const mode = lstatSync(entry).mode;
      if (lstatSync(entry).isSymbolicLink()) continue;
      expect(mode & 0o077, `${entry} is ${(mode & 0o777).toString(8)}`).toBe(0);
    }
  }, 90_000);

  it('createLogger redacts secret fields at any of the first three levels, and known secret values anywhere', () => {
    const file = path.join(tempDir(), 'logs', 'maestro.log');
    const logger = createLogger({ file, level: 'info' });
    const registered = `registered-${randomBytes(8).toString('hex')}`;
    addSecret(registered);
    logger.info(
      {
        agent: 'A1',
        apiKey: 'v-top-level',
        headers: { authorization: 'Bearer v-headers', 'x-api-key': 'v-x-api-key' },
        req: { headers: { authorization: 'Bearer v-req-headers', cookie: 'v-cookie' } },
        env: { ANTHROPIC_API_KEY: 'v-anthropic', OPENAI_API_KEY: 'v-openai', PATH: '/usr/bin' },
        deep: { a: { b: { c: registered } } },
      },
      'launching',
    );
    logger.error({ err: new Error(`request failed with key ${registered}`) }, `and ${registered} in the message`);
    const text = readFileSync(file, 'utf8');
    for (const value of [
      'v-top-level',
      'v-headers',
      'v-x-api-key',
      'v-req-headers',
      'v-cookie',
      'v-anthropic',
      'v-openai',
    ]) {
      expect(text).not.toContain(value);
    }
    expect(text).not.toContain(registered);
    expect(text).toContain('"agent":"A1"');
    expect(text).toContain('"PATH":"/usr/bin"');
    expect(text).toContain('request failed with key [redacted]');
    expect(text).toContain('"msg":"and [redacted] in the message"');
  });

  it('treats the values of credential-like variables as secrets, not where they are', () => {
    for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'DB_PASSWORD'])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['DB_PASSWORD_FILE', 'SSH_AUTH_SOCK', 'MAX_THINKING_TOKENS', 'PATH', 'HOME'])
      expect(isSecretName(name), name).toBe(false);
  });
});

const HOSTILE_WORKER = path.join(FIXTURES, 'hostile-worker.js');

/** spawn_agent arguments for a hostile-worker (test/fixtures/hostile-worker.ts) running `plan`. */
const hostile = (taskName: string, plan: object, extra: Record<string, unknown> = {}) =>
  worker(taskName, plan, extra, HOSTILE_WORKER);

interface HostileOutcome {
  connected: boolean;
  refused: string;
  calls: { name: string; ok: boolean; text: string }[];
}

/** The agent once its worker process is running and recorded. */
async function runningAgent(p: Project, task: string): Promise<{ agent_id: string; pid: number }> {
  let row: Awaited<ReturnType<typeof agentRows>>[number] | undefined;
  await until(async () => {
    row = (await agentRows(p)).find((a) => a.task_name === task);
    return row?.status === 'running' && row.pid !== null;
  });
  return { agent_id: row!.agent_id, pid: row!.pid! };
}

describe('identity holds against a hostile worker', () => {
  it('a worker that copies its sibling’s whole environment cannot log or report as that sibling', async () => {
    const p = await startProject();
    const { session_id } = await p.ok(
      'spawn_agent',
      worker('VICTIM', { wait_mail_ms: 60_000, report: { by: 'victim' } }),
    );
    const victim = await runningAgent(p, 'VICTIM');
    await p.ok(
      'spawn_agent',
      hostile('THIEF', {
        steal_from: victim.pid,
        calls: [
          {
            name: 'team_msg',
            args: { operation: 'log', session_id, type: 'task_complete', summary: 'all tests pass' },
          },
          { name: 'report_agent_job_result', args: { result: { by: 'thief' } } },
        ],
      }),
    );
    const thief = await finished(p, 'THIEF');
    expect(thief.status, thief.error).toBe('completed');
    const seen = thief.result as HostileOutcome;
    expect(seen.calls).toEqual([]);
    expect(seen.connected).toBe(false);
    expect(seen.refused).toContain(
      `MAESTRO_AGENT_ID names agent ${victim.agent_id}, but this process runs inside the worker process of THIEF`,
    );
    // the victim's own result is the one its parent gets, and nothing was logged in its name
    await p.ok('send_message', { target: 'VICTIM', message: 'go' });
    const outcome = await finished(p, 'VICTIM');
    expect(outcome.status, outcome.error).toBe('completed');
    expect(outcome.result).toEqual({ by: 'victim' });
    const forged = await p.ok('team_msg', { operation: 'list', session_id, from: 'VICTIM', type: 'task_complete' });
    expect(forged.total).toBe(0);
  }, 90_000);

  it('a sub-worker that takes its parent’s environment cannot report its parent’s result', async () => {
    const p = await startProject();
    await p.ok(
      'spawn_agent',
      worker('PARENT', {
        spawn: hostile('CHILD', {
          steal_from: 'grandparent',
          calls: [{ name: 'report_agent_job_result', args: { result: { by: 'child-as-parent' } } }],
        }),
        wait: true,
        report: { by: 'parent' },
      }),
    );
    const parent = await finished(p, 'PARENT');
    expect(parent.status, parent.error).toBe('completed');
    expect(parent.result).toEqual({ by: 'parent' });
    const child = (await agentRows(p)).find((a) => a.task_name === 'CHILD')!;
    const seen = child.result as HostileOutcome;
    expect(seen.connected).toBe(false);
    expect(seen.refused).toContain('but this process runs inside the worker process of CHILD');
  }, 90_000);

  it('a worker that unsets MAESTRO_AGENT_ID is still itself: it cannot close its sibling or write into another session', async () => {
    const p = await startProject();
    const { session_id } = await p.ok(
      'spawn_agent',
      worker('SIBLING', { wait_mail_ms: 60_000, report: { by: 'sibling' } }),
    );
    await runningAgent(p, 'SIBLING');
    await p.ok(
      'spawn_agent',
      hostile('ROGUE', {
        unset_id: true,
        calls: [
          { name: 'close_agent', args: { target: 'SIBLING' } },
          { name: 'team_msg', args: { operation: 'log', session_id: 'TC-elsewhere', summary: 'planted' } },
          { name: 'spawn_agent', args: { ...worker('PLANT', {}), session_id: 'TC-elsewhere' } },
          { name: 'team_msg', args: { operation: 'log', session_id, summary: 'who am I' } },
        ],
      }),
    );
    const rogue = await finished(p, 'ROGUE');
    const seen = rogue.result as HostileOutcome;
    expect(seen.connected, seen.refused).toBe(true);
    const [close, elsewhere, plant, own] = seen.calls;
    expect(close).toMatchObject({ ok: false });
    expect(close!.text).toContain('ROGUE may close only agents it started');
    expect(elsewhere).toMatchObject({ ok: false });
    expect(elsewhere!.text).toContain(`ROGUE belongs to session ${session_id}`);
    expect(plant).toMatchObject({ ok: false });
    expect(plant!.text).toContain(`ROGUE is an agent of session ${session_id} and cannot act in session TC-elsewhere`);
    expect(own).toMatchObject({ ok: true });
    // what it did write is in its own name
    const mine = await p.ok('team_msg', { operation: 'list', session_id, from: 'ROGUE' });
    expect((mine.messages as { summary: string }[]).map((m) => m.summary)).toEqual(['who am I']);
    expect((await p.ok('team_msg', { operation: 'list', session_id: 'TC-elsewhere' })).total).toBe(0);
    expect((await agentRows(p, 'TC-elsewhere')).length).toBe(0);
    expect((await agentRows(p)).find((a) => a.task_name === 'SIBLING')!.status).toBe('running');
    await p.ok('close_agent', { target: 'SIBLING' });
  }, 90_000);

  it('delete and clear are the coordinator’s and people’s: a worker is refused through its server and through the maestro command', async () => {
    const p = await startProject();
    const session_id = 'TC-board';
    await p.ok('team_msg', { operation: 'log', session_id, summary: 'keep me' });
    await p.ok(
      'spawn_agent',
      hostile(
        'ERASER',
        {
          calls: [
            { name: 'team_msg', args: { operation: 'delete', session_id, id: 'MSG-001' } },
            { name: 'team_msg', args: { operation: 'clear', session_id } },
          ],
        },
        { session_id },
      ),
    );
    // the `maestro` command inside a worker is that worker, with or without MAESTRO_AGENT_ID
    const maestro = `"${process.execPath}" "${CLI}" msg`;
    await p.ok('spawn_agent', {
      task_name: 'SHELL-1',
      backend: 'command',
      command: [
        'sh',
        '-c',
        `${maestro} log -s ${session_id} --type progress halfway;
         env -u MAESTRO_AGENT_ID ${maestro} log -s ${session_id} --type progress unmarked;
         ${maestro} delete -s ${session_id} MSG-001 2>&1;
         env -u MAESTRO_AGENT_ID ${maestro} clear -s ${session_id} --yes 2>&1;
         echo done`,
      ],
      message: 'try to erase the board',
      session_id,
    });
    const eraser = (await finished(p, 'ERASER')).result as HostileOutcome;
    expect(eraser.connected, eraser.refused).toBe(true);
    for (const [i, op] of ['delete', 'clear'].entries()) {
      expect(eraser.calls[i]).toMatchObject({ ok: false });
      expect(eraser.calls[i]!.text).toContain(
        `you are ERASER, a worker agent: ${op} is for the coordinator and people`,
      );
    }
    const shell = await finished(p, 'SHELL-1');
    expect(shell.status, shell.error).toBe('completed');
    const shellId = (await agentRows(p, session_id)).find((a) => a.task_name === 'SHELL-1')!.agent_id;
    const transcript = readFileSync(path.join(p.dir, '.maestro', 'agents', shellId, 'transcript.log'), 'utf8');
    expect(transcript).toContain('you are SHELL-1, a worker agent: delete is for the coordinator and people');
    expect(transcript).toContain('you are SHELL-1, a worker agent: clear is for the coordinator and people');
    // nothing was removed; the shell worker's own lines are in its name
    const board = await p.ok('team_msg', { operation: 'list', session_id });
    const lines = (board.messages as { from: string; summary: string }[]).map((m) => `${m.from}: ${m.summary}`);
    expect(lines).toEqual(expect.arrayContaining(['coordinator: keep me', 'SHELL-1: halfway', 'SHELL-1: unmarked']));
    // and the coordinator may still clear its own board
    expect((await p.ok('team_msg', { operation: 'delete', session_id, id: 'MSG-001' })).deleted).toBe('MSG-001');
  }, 90_000);

  it('a worker may not be named like the coordinator, people, a parent or everyone', async () => {
    const p = await startProject();
    for (const name of ['coordinator', 'user', 'parent', 'all']) {
      expect(await p.fails('spawn_agent', worker(name, {}))).toContain(`task_name '${name}' is reserved`);
    }
  });

  it('the process ancestry decides: a worker still being recorded waits, and without its record it is refused, never top-level', async () => {
    const store = openSqliteStore(':memory:');
    const agents = store.agents;
    const reserve = (id: string, task: string) =>
      agents.reserve(
        newAgent(id, {
          session_id: 'TC-unit',
          task_name: task,
          path: `/${task}`,
          cwd: ROOT,
          ...SELF_OWNER, // this process stands in for the supervising server
          task: 'x',
        }),
        { maxOpenAgents: 10, maxDepth: 3 },
      );
    await reserve('A1', 'ONE');
    await reserve('A2', 'TWO');
    const child = spawnProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      const record = (id: string, start: string | null) =>
        agents.setProcess(id, { pid, pid_start: start, ...SELF_OWNER });
      const as =
        (env: NodeJS.ProcessEnv, settleMs = 200) =>
        () =>
          resolveCaller(env, agents, COORDINATOR, { pid, settleMs });
      // a child of a server that has not recorded it yet: no claim and a claim are refused alike
      await expect(as({})()).rejects.toThrow(/has not recorded as one of its workers \(waited 200 ms\)/);
      await expect(as({ MAESTRO_AGENT_ID: 'A1' })()).rejects.toThrow(/has not recorded as one of its workers/);
      // a recycled pid (same pid, another start) is not the worker
      await record('A1', 'not-its-start');
      await expect(as({ MAESTRO_AGENT_ID: 'A1' })()).rejects.toThrow(/has not recorded as one of its workers/);
      await record('A1', startToken(pid));
      expect(await as({})()).toMatchObject({ role: 'ONE', agentId: 'A1', sessionId: 'TC-unit', path: '/ONE' });
      expect(await as({ MAESTRO_AGENT_ID: 'A1' })()).toMatchObject({ agentId: 'A1' });
      await expect(as({ MAESTRO_AGENT_ID: 'A2' })()).rejects.toThrow(
        'MAESTRO_AGENT_ID names agent A2, but this process runs inside the worker process of ONE (agent A1',
      );
      // a process in no worker's tree is top-level, unless it claims an agent
      expect(await resolveCaller({}, agents, COORDINATOR)).toBe(COORDINATOR);
      await expect(resolveCaller({ MAESTRO_AGENT_ID: 'A1' }, agents, COORDINATOR)).rejects.toThrow(
        `MAESTRO_AGENT_ID names agent A1, but this process does not run inside ONE's worker process (pid ${pid})`,
      );
    } finally {
      child.kill('SIGKILL');
      await store.close();
    }
  });
});

describe('a worker’s cwd', () => {
  it('may not be the project’s .git or .maestro, inside them, or a link to them; an agent’s worktree there is fine', async () => {
    const p = await startProject();
    mkdirSync(path.join(p.dir, 'src'));
    symlinkSync(path.join(p.dir, '.maestro'), path.join(p.dir, 'state'));
    symlinkSync('.git', path.join(p.dir, 'repo'));
    expect(existsSync(path.join(p.dir, '.maestro'))).toBe(true);
    for (const cwd of [
      '.git',
      '.git/objects',
      '.maestro',
      path.join(p.dir, '.maestro'),
      'state',
      'repo',
      'repo/refs',
    ]) {
      const message = await p.fails('spawn_agent', worker(`CWD-${randomBytes(3).toString('hex')}`, {}, { cwd }));
      expect(message, cwd).toContain("is in the project's .git or .maestro directory");
      expect(message).toContain('a worker may work anywhere else in the project');
    }
    expect((await agentRows(p)).length).toBe(0);
    await p.ok('spawn_agent', worker('IN-SRC', { report: 'ok' }, { cwd: 'src' }));
    const made = await p.ok('spawn_agent', worker('IMPL', { report: 'ok' }, { isolation: 'worktree' }));
    const review = await p.ok('spawn_agent', worker('REVIEW', { report: 'ok' }, { cwd: made.cwd }));
    expect(review.cwd).toBe(made.cwd);
    expect(
      execFileSync('git', ['-C', made.cwd as string, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim(),
    ).toBe(made.cwd);
  }, 60_000);
});

function listFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).map((f) => path.join(dir, f)) : [];
}

describe('a Codex worker’s own maestro server', () => {
  it('gets the worker’s environment from the real Codex, passed by name so no value is on a command line', async () => {
    const { codexArgs } = await import('../src/backends/codex-exec.js');
    const { execFile } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const dir = tempDir('maestro-codex-env-');
    const dump = path.join(dir, 'dump.cjs');
    const seen = path.join(dir, 'seen.json');
    // Stands in for `maestro mcp`: records its environment; Codex then gives up on it, which is fine here.
    writeFileSync(dump, `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(process.env))`);
    const key = `sk-codex-${randomBytes(8).toString('hex')}`;
    const env = {
      PATH: process.env.PATH!,
      HOME: dir,
      OPENAI_API_KEY: key,
      ANTHROPIC_API_KEY: key,
      PASSED_BY_CONFIG: 'yes',
    };
    const argv = codexArgs(
      {
        agentId: 'a1',
        taskName: 'T',
        cwd: dir,
        model: null,
        reasoningEffort: null,
        instructions: '',
        mcp: { command: process.execPath, args: [dump], env: { MAESTRO_AGENT_ID: 'a1' } },
        env,
        stopGraceMs: 200,
        agentDir: dir,
        settings: { command: [path.join(ROOT, 'node_modules/.bin/codex')] },
      },
      null,
    );
    expect(argv.join(' ')).not.toContain(key);
    await new Promise<void>((resolve) => {
      const child = execFile(argv[0]!, argv.slice(1), { env, cwd: dir, timeout: 30_000 }, () => resolve());
      child.stdin?.end('hello');
    });
    const got = JSON.parse(readFileSync(seen, 'utf8')) as Record<string, string>;
    expect(got).toMatchObject({
      OPENAI_API_KEY: key,
      ANTHROPIC_API_KEY: key,
      PASSED_BY_CONFIG: 'yes',
      MAESTRO_AGENT_ID: 'a1',
    });
  });
});

/** Every file and directory under `dir`, the configuration a person wrote by hand aside. */
function listAll(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.name === 'config.json') return [];
    return entry.isDirectory() ? [full, ...listAll(full)] : [full];
  });
}
