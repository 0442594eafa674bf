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
    expect(Object.keys(config.agentTypes()).sort()).toEqual(['default', 'team_supervisor', 'team_worker']);
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
      /unknown agent_type 'wizard'; known types: default, team_supervisor, team_worker/,
    );
  });
});
