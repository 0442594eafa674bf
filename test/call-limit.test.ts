/**
 * The call limit of a connection's client (src/mcp/connection.ts): Codex's `tool_timeout_sec`
 * for maestro's entry however the TOML spells it, its 300 s default, no limit for other clients,
 * and a hold that ends comfortably before the limit.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODEX_TOOL_TIMEOUT_SEC } from '../src/agents/client-limits.js';
import { CODEX_CLIENT_NAME, callLimitFor, codexToolTimeoutSec, holdWithin } from '../src/mcp/connection.js';
import { WAIT_MAX_MS } from '../src/ops/agents/wait.js';
import { tempDir } from './helpers/temp.js';

const CODEX = { name: CODEX_CLIENT_NAME, title: 'Codex', version: '0.169.0' };

function codexHome(config: string): NodeJS.ProcessEnv {
  const home = path.join(tempDir(), '.codex');
  mkdirSync(home);
  writeFileSync(path.join(home, 'config.toml'), config);
  return { CODEX_HOME: home, HOME: '/nonexistent' };
}

describe('tool_timeout_sec of maestro’s entry', () => {
  it('is read from a table, a quoted name, an inline table or a dotted key; other servers do not count', () => {
    const name = 'maestro-tools';
    expect(codexToolTimeoutSec('[mcp_servers.maestro-tools]\ncommand = "m"\ntool_timeout_sec = 8\n', name)).toBe(8);
    expect(codexToolTimeoutSec('[mcp_servers."maestro-tools"]\ntool_timeout_sec = 12.5\n', name)).toBe(12.5);
    expect(codexToolTimeoutSec('mcp_servers.maestro-tools.tool_timeout_sec = 3_660\n', name)).toBe(3660);
    expect(codexToolTimeoutSec('[mcp_servers]\nmaestro-tools = { command = "m", tool_timeout_sec = 9 }\n', name)).toBe(
      9,
    );
    expect(codexToolTimeoutSec('[mcp_servers.other]\ntool_timeout_sec = 5\n[mcp_servers.maestro-tools]\n', name)).toBe(
      undefined,
    );
    expect(codexToolTimeoutSec('[mcp_servers.maestro-tools]\ntool_timeout_sec = "soon"\n', name)).toBe(undefined);
    expect(codexToolTimeoutSec('', name)).toBe(undefined);
  });
});

describe('a connection’s call limit', () => {
  const options = (env: NodeJS.ProcessEnv) => ({ env, serverName: 'maestro-tools' });

  it('is Codex’s configured tool_timeout_sec, held to a little less', () => {
    const limit = callLimitFor(CODEX, options(codexHome('[mcp_servers.maestro-tools]\ntool_timeout_sec = 8\n')));
    expect(limit).toMatchObject({ clientMs: 8000, holdMs: 6000 });
    expect(limit!.source).toMatch(/^tool_timeout_sec in \[mcp_servers\.maestro-tools\] of .*config\.toml$/);
  });

  it('is Codex’s default of 300 s when the entry, or the whole file, has none', () => {
    for (const env of [codexHome('[mcp_servers.maestro-tools]\ncommand = "m"\n'), { HOME: tempDir() }]) {
      const limit = callLimitFor(CODEX, options(env));
      expect(limit).toMatchObject({ clientMs: 300_000, holdMs: 285_000 });
      expect(limit!.source).toMatch(/Codex's default; raise it with tool_timeout_sec/);
    }
  });

  it('is none for other clients (Claude Code resets its clock on progress)', () => {
    expect(callLimitFor({ name: 'claude-code', version: '2.1.329' }, options({}))).toBeNull();
    expect(callLimitFor(undefined, options({}))).toBeNull();
  });

  it('leaves a margin of 2 s to 15 s, and never shortens a wait when install’s limit is set', () => {
    expect(holdWithin(8000)).toBe(6000);
    expect(holdWithin(3000)).toBe(1500);
    expect(holdWithin(60_000)).toBe(54_000);
    expect(holdWithin(300_000)).toBe(285_000);
    expect(holdWithin(CODEX_TOOL_TIMEOUT_SEC * 1000)).toBeGreaterThanOrEqual(WAIT_MAX_MS);
  });
});
