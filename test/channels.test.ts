/**
 * The channels finding of issue 11, with the real Claude Code 2.1.329 run interactively (under a
 * pseudo-terminal, as a person runs it) offline against the scripted Anthropic server: an MCP
 * server named `maestro-tools` that declares `claude/channel`, enabled with
 * `--dangerously-load-development-channels server:maestro-tools`, sends
 * `notifications/claude/channel` into the idle session. Claude Code's gate skips the server
 * ("channels feature is not currently available": the feature flag behind channels is off when
 * no flags can be fetched) and the notification starts no model turn. So maestro keeps
 * `wait_agent` / `maestro team` for pushing news; if a later Claude Code delivers channels
 * offline, this test fails and says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claudeOfflineEnv, startAnthropicServer, type ScriptedServer } from '../src/scripted/index.js';
import { FIXTURES } from './helpers/paths.js';
import { PATIENCE } from './helpers/patience.js';
import { until } from './helpers/project.js';
import { CLAUDE, scratch } from './scripted/harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Ends the pseudo-terminal's process group (script, claude, the probe) and waits for it. */
function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  kill('SIGTERM');
  const hard = setTimeout(() => kill('SIGKILL'), 3000);
  return exited.finally(() => clearTimeout(hard));
}

describe('Claude Code channels (2.1.329, interactive, offline)', () => {
  it('skips a dev channel server and starts no turn in an idle session when it sends notifications/claude/channel', async () => {
    const { dir, cleanup } = scratch('maestro-channels-');
    cleanups.push(cleanup);
    const project = path.join(dir, 'project');
    const server: ScriptedServer = await startAnthropicServer({
      conversations: [{ name: 'lead', match: { user: /Say hello/ }, steps: [{ text: 'Hello; idle now.' }] }],
      fallback: 'Noted.',
    });
    cleanups.push(() => server.close());
    const offline = claudeOfflineEnv({ baseUrl: server.url });
    cleanups.push(offline.cleanup);

    // The interactive TUI asks about onboarding, folder trust and the API key first; answer them in its config.
    mkdirSync(project);
    writeFileSync(
      path.join(offline.env.CLAUDE_CONFIG_DIR!, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: 'dark',
        customApiKeyResponses: { approved: [offline.env.ANTHROPIC_API_KEY!.slice(-20)], rejected: [] },
        projects: { [project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
      }),
    );
    const mcpConfig = path.join(dir, 'mcp.json');
    writeFileSync(
      mcpConfig,
      JSON.stringify({
        mcpServers: {
          'maestro-tools': {
            type: 'stdio',
            command: process.execPath,
            args: [path.join(FIXTURES, 'channel-probe.js')],
            env: { PROBE_DIR: dir },
          },
        },
      }),
    );
    const debugLog = path.join(dir, 'debug.log');
    const probeLog = path.join(dir, 'probe.log');
    // The prompt comes first: the channels flag takes every argument after it.
    const command = [
      CLAUDE,
      'Say hello',
      '--mcp-config',
      mcpConfig,
      '--strict-mcp-config',
      '--debug-file',
      debugLog,
      '--dangerously-load-development-channels',
      'server:maestro-tools',
    ]
      .map(quote)
      .join(' ');
    const screen: string[] = [];
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: project,
      env: { ...offline.env, TERM: 'xterm-256color' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.on('data', (chunk: Buffer) => screen.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => screen.push(chunk.toString()));
    cleanups.push(() => stopGroup(child));

    const mentions = () => server.requests.filter((r) => JSON.stringify(r.body ?? '').includes('CHANNEL-NEWS-0'));
    // The first turn ends and the session idles at its prompt.
    await until(() => server.modelRequests('lead').length > 0, 30_000);
    // Claude Code decides about the channel once the server has connected; the verdict is in its debug log.
    await until(() => /Channel notifications (skipped|registered)/.test(read(debugLog)), 30_000);
    const verdict = read(debugLog).match(
      /MCP server "maestro-tools": Channel notifications (skipped: [^\n]*|registered)/,
    );
    expect(verdict?.[1]).toBe('skipped: channels feature is not currently available');

    writeFileSync(path.join(dir, 'fire0'), '');
    // Claude Code has read the notification once it has answered the probe's ping sent after it.
    await until(() => read(probeLog).includes('read 0'), 30_000);
    // A delivered channel message becomes the next turn at once; give it a bounded window to show up.
    const window = 5_000 * PATIENCE;
    const deadline = Date.now() + window;
    while (Date.now() < deadline && mentions().length === 0) await new Promise((r) => setTimeout(r, 100));
    expect(mentions()).toEqual([]);
    expect(child.exitCode).toBeNull(); // the session is still open: the news was ignored, not fatal
  }, 150_000);
});
