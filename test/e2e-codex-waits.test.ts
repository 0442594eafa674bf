/**
 * A real Codex coordinator (offline, scripted model) waits longer than its MCP client allows a
 * tool call to run: maestro's server learns the limit (Codex's clientInfo at initialize, then
 * `tool_timeout_sec` of maestro's entry in config.toml) and ends the wait as `timed_out: true`
 * before Codex would give up with "timed out awaiting tools/call"; the next wait gets the result.
 *
 * The limit is scaled down (8 s instead of Codex's default 300 s) so the test takes seconds; the
 * server reads whatever the entry sets, and the default is covered in test/call-limit.test.ts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codexOfflineEnv, startOpenAIServer, type Script } from '../src/scripted/index.js';
import { gitProject } from './helpers/project.js';
import { CODEX, MAESTRO, run, stop, type Line } from './scripted/harness.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const TOOL_TIMEOUT_SEC = 8;

function maestroEntry(db: string): string {
  return [
    '',
    '[mcp_servers.maestro-tools]',
    `command = ${JSON.stringify(process.execPath)}`,
    `args = ${JSON.stringify([MAESTRO, 'mcp'])}`,
    'required = true',
    'default_tools_approval_mode = "approve"',
    `tool_timeout_sec = ${TOOL_TIMEOUT_SEC}`,
    '',
    '[mcp_servers.maestro-tools.env]',
    `MAESTRO_DB = ${JSON.stringify(db)}`,
    `MAESTRO_LOG_FILE = ${JSON.stringify(`${db}.log`)}`,
    '',
  ].join('\n');
}

const waitCalls = (lines: Line[]) =>
  lines
    .filter((l) => l.type === 'item.completed' && l.item?.type === 'mcp_tool_call' && l.item.tool === 'wait_agent')
    .map((l) => l.item);

describe('Codex as coordinator, a wait longer than its tool_timeout_sec', () => {
  it('returns timed_out before Codex gives up, and the next wait gets the completion', async () => {
    const project = gitProject();
    const db = path.join(project, '.maestro', 'maestro.db');
    mkdirSync(path.dirname(db), { recursive: true });
    const go = path.join(project, '.go');
    const script: Script = {
      conversations: [
        {
          name: 'coordinator',
          match: { user: /coordinate the gated team/ },
          steps: [
            {
              calls: [
                {
                  tool: 'mcp__maestro_tools__spawn_agent',
                  input: {
                    task_name: 'SLOW',
                    backend: 'command',
                    // finishes only once the test says so: when the model has seen the first wait end
                    command: ['sh', '-c', 'while [ ! -e "$1" ]; do sleep 0.05; done; echo "slow work done"', 'sh', go],
                    message: 'take longer than the client allows one call',
                  },
                },
              ],
            },
            { calls: [{ tool: 'mcp__maestro_tools__wait_agent', input: { timeout_ms: 900_000 } }] },
            () => {
              writeFileSync(go, '');
              return { calls: [{ tool: 'mcp__maestro_tools__wait_agent', input: { timeout_ms: 900_000 } }] };
            },
            { text: 'The team is done.' },
          ],
        },
      ],
      fallback: 'OK.',
    };
    const model = await startOpenAIServer(script);
    cleanups.push(() => model.close());
    const offline = codexOfflineEnv({ baseUrl: model.url, config: maestroEntry(db) });
    cleanups.push(offline.cleanup);

    const codex = run(CODEX, ['exec', '--json', '--skip-git-repo-check', 'coordinate the gated team'], {
      env: offline.env,
      cwd: project,
      detached: true,
    });
    codex.proc.stdin.end();
    cleanups.push(() => stop(codex));
    const exit = await codex.exited;
    expect(exit, codex.stderr().slice(-2000)).toEqual({ code: 0, signal: null });

    expect(codex.stdout()).not.toContain('timed out awaiting tools/call');
    const [first, second] = waitCalls(codex.lines);
    expect(first, codex.stdout().slice(-4000)).toMatchObject({ status: 'completed', error: null });
    expect(first.result.structured_content).toMatchObject({
      timed_out: true,
      message: expect.stringMatching(
        new RegExp(`wait shortened to \\d+ ms .*limit of ${TOOL_TIMEOUT_SEC} s per tool call.*Call wait_agent again`),
      ),
    });
    expect(existsSync(go)).toBe(true); // the worker was told to finish only after that
    expect(second).toMatchObject({ status: 'completed', error: null });
    expect(second.result.structured_content).toMatchObject({
      timed_out: false,
      finished: [expect.objectContaining({ task_name: 'SLOW', turn: 1 })],
      agents: { SLOW: expect.objectContaining({ status: 'completed' }) },
    });
    expect(codex.stdout()).toContain('The team is done.');
  }, 180_000);
});
