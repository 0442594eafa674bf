/** The project configuration: defaults with no file, the README's example, and mistakes named. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/agents/config.js';
import { ROOT } from './helpers/paths.js';
import { tempDir } from './helpers/temp.js';

function dataDirWith(config: unknown): string {
  const dataDir = path.join(tempDir(), '.maestro');
  mkdirSync(dataDir);
  writeFileSync(path.join(dataDir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dataDir;
}

describe('project configuration', () => {
  it('works with no file: the skills’ agent types run on Claude Code, with the documented limits', () => {
    const config = loadConfig({ dataDir: path.join(tempDir(), '.maestro'), env: {} });
    expect(Object.keys(config.agentTypes()).sort()).toEqual(['default', 'lead', 'team_supervisor', 'team_worker']);
    expect(config.agentType('team_worker').backend).toBe('claude');
    expect(config.config.limits).toMatchObject({ max_open_agents: 8, max_depth: 2 });
    expect(config.executable('codex')).toEqual(['codex']);
  });

  it('accepts the example in the README', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const example = /### Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const config = loadConfig({ dataDir: dataDirWith(example), env: {} });
    expect(config.agentType('tests')).toMatchObject({ backend: 'command', command: ['npm', 'test'] });
    expect(config.agentType('team_worker').model).toBe('sonnet');
    expect(config.config.backends.codex).toEqual({ command: ['codex'], transport: 'app-server' });
  });

  it('takes backends.codex.transport: app-server or exec, and names the choices for anything else', () => {
    const exec = loadConfig({ dataDir: dataDirWith({ backends: { codex: { transport: 'exec' } } }), env: {} });
    expect(exec.config.backends.codex).toEqual({ transport: 'exec' });
    expect(exec.executable('codex')).toEqual(['codex']);
    expect(() =>
      loadConfig({ dataDir: dataDirWith({ backends: { codex: { transport: 'websocket' } } }), env: {} }),
    ).toThrow(/config.json: backends.codex.transport: .*"app-server".*"exec"/);
    expect(() =>
      loadConfig({
        dataDir: dataDirWith({ backends: { claude: { command: ['claude'], transport: 'exec' } } }),
        env: {},
      }),
    ).toThrow(/backends.claude: .*transport/);
  });

  it('names the field that is wrong, and the known types for an unknown one', () => {
    expect(() => loadConfig({ dataDir: dataDirWith({ limits: { max_depth: 0 } }), env: {} })).toThrow(
      /config.json: limits.max_depth: /,
    );
    expect(() => loadConfig({ dataDir: dataDirWith({ agent_types: { x: { backend: 'gemini' } } }), env: {} })).toThrow(
      /agent_types.x.backend/,
    );
    expect(() => loadConfig({ dataDir: dataDirWith('{ not json'), env: {} })).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ dataDir: dataDirWith({}), env: {} }).agentType('wizard')).toThrow(
      /unknown agent_type 'wizard'; known types: default, lead, team_supervisor, team_worker/,
    );
  });

  it('takes worker_env: names and prefixes to pass, values to set; never an identity or a parent session’s variable', () => {
    const config = loadConfig({
      dataDir: dataDirWith({ worker_env: { pass: ['DATABASE_URL', 'MYAPP_*'], set: { NODE_ENV: 'test' } } }),
      env: {},
    });
    expect(config.config.worker_env).toEqual({ pass: ['DATABASE_URL', 'MYAPP_*'], set: { NODE_ENV: 'test' } });
    expect(loadConfig({ dataDir: dataDirWith({}), env: {} }).config.worker_env).toEqual({ pass: [], set: {} });

    const rejects = (workerEnv: unknown, message: RegExp) =>
      expect(() => loadConfig({ dataDir: dataDirWith({ worker_env: workerEnv }), env: {} })).toThrow(message);
    rejects(
      { pass: ['MAESTRO_AGENT_ID'] },
      /config.json: worker_env.pass.0: MAESTRO_AGENT_ID is a worker's identity, which maestro sets for each worker: it cannot be passed or set/,
    );
    rejects(
      { set: { MAESTRO_SESSION: 'TC-other' } },
      /worker_env.set.MAESTRO_SESSION: MAESTRO_SESSION is a worker's identity/,
    );
    rejects({ set: { MAESTRO_DB: '/tmp/x.db' } }, /worker_env.set.MAESTRO_DB: /);
    rejects({ pass: ['MAESTRO_LOG_FILE'] }, /MAESTRO_LOG_FILE is set by maestro for each worker/);
    rejects({ pass: ['CLAUDECODE'] }, /CLAUDECODE belongs to a parent agent's session/);
    rejects(
      { pass: ['*'] },
      /worker_env.pass.0: '\*' is not a variable name or a prefix ending in \* \(letters, digits and _/,
    );
    rejects({ pass: ['MY-VAR'] }, /'MY-VAR' is not a variable name or a prefix ending in \*/);
    rejects({ set: { 'A B': 'x' } }, /worker_env.set.A B: 'A B' is not a variable name/);
    rejects({ set: { PORT: 8080 } }, /worker_env.set.PORT: /);
    rejects({ passs: [] }, /worker_env: /);
  });
});
