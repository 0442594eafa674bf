/**
 * Identity and isolation: a worker's environment holds only what it needs (an allow list, plus
 * what `worker_env` in .maestro/config.json passes or sets), its identity always comes from
 * maestro, and neither an API key from the server's environment nor a worker's secret reaches a
 * log or a transcript.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerEnv } from '../src/agents/worker-env.js';
import { createLogger } from '../src/log.js';
import { addSecret, isSecretName } from '../src/secrets.js';
import { agentRows, startProject, until, worker, type Project } from './helpers/project.js';
import { ROOT } from './helpers/paths.js';
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
      'MAESTRO_AGENT_SECRET_FILE',
      'MAESTRO_DB',
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
      MAESTRO_AGENT_SECRET_FILE: '/tmp/forged',
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
  it('API keys from the server’s environment and worker secrets appear in no log, server.log or transcript', async () => {
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
    // a careless worker that prints its keys and its secret, and fails with a key on stderr
    await p.ok('spawn_agent', {
      task_name: 'LEAKY-001',
      backend: 'command',
      command: [
        process.execPath,
        '-e',
        `const e = process.env;
         console.log('anthropic ' + e.ANTHROPIC_API_KEY);
         console.log('openai ' + e.OPENAI_API_KEY);
         console.log('secret ' + require('fs').readFileSync(e.MAESTRO_AGENT_SECRET_FILE, 'utf8').trim());
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
    const secrets = agentIds.map((id) => readFileSync(path.join(dataDir, 'agents', id, 'secret'), 'utf8').trim());
    const files = [
      p.logFile,
      ...listFiles(path.join(dataDir, 'logs')),
      ...agentIds.flatMap((id) =>
        ['server.log', 'transcript.log', 'transcript.log.1'].map((f) => path.join(dataDir, 'agents', id, f)),
      ),
    ].filter((f) => existsSync(f));
    const written = files.map((f) => [f, readFileSync(f, 'utf8')] as const);
    // not vacuous: the logs are there, and the keys and a secret did reach the transcripts, scrubbed
    const logs = written.filter(([f]) => !f.includes('transcript'));
    expect(logs.some(([, text]) => text.includes('"msg":"tool call"'))).toBe(true);
    // the worker's server logged the failed send_message, with the key in it scrubbed
    expect(logs.some(([, text]) => /"tool":"send_message".*\[redacted\]/.test(text))).toBe(true);
    const leakyId = rows.find((a) => a.task_name === 'LEAKY-001')!.agent_id;
    const leakyTranscript = readFileSync(path.join(dataDir, 'agents', leakyId, 'transcript.log'), 'utf8');
    expect(leakyTranscript).toContain('out anthropic [redacted]');
    expect(leakyTranscript).toContain('out openai [redacted]');
    expect(leakyTranscript).toContain('out secret [redacted]');
    expect(leakyTranscript).toMatch(/errored: exited with code 3: failed with \[redacted\]/);
    for (const [file, text] of written) {
      for (const value of [anthropic, openai, ...secrets]) {
        expect(text.includes(value), `${file} contains ${value.slice(0, 12)}…`).toBe(false);
      }
    }
    // and nobody but the owner can read any of it: database, logs, transcripts, secrets
    const everything = listAll(dataDir);
    expect(everything.length).toBeGreaterThan(15);
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
    for (const name of ['MAESTRO_AGENT_SECRET_FILE', 'SSH_AUTH_SOCK', 'MAX_THINKING_TOKENS', 'PATH', 'HOME'])
      expect(isSecretName(name), name).toBe(false);
  });
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
