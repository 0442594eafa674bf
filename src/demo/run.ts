/**
 * `maestro demo`: a real Claude Code coordinator, headless, in a temporary copy of a small
 * project with maestro installed, receives `/team-coordinate <requirement>` and runs a team of
 * real Claude Code workers and a supervisor through the maestro-tools server. Offline, the
 * scripted model plays every agent; with --live the real model does. The terminal follows the
 * team as it works and ends with the bus timeline and a summary.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../bus/sqlite-store.js';
import type { AgentRecord } from '../store/records.js';
import { startProcess } from '../backends/process.js';
import { messageLines, paint } from '../cli/output.js';
import { MaestroError } from '../errors.js';
import { MAESTRO_BIN, PACKAGE_ROOT } from '../package-root.js';
import { startAnthropicServer } from '../scripted/anthropic.js';
import type { ScriptedServer } from '../scripted/http.js';
import { claudeOfflineEnv } from '../scripted/offline-env.js';
import { liveView } from './progress.js';
import { DEMO_REQUIREMENT, writeSampleProject } from './sample-project.js';
import { demoScript } from './script.js';

export interface DemoOptions {
  live: boolean;
  keep: boolean;
  requirement?: string;
  out: (line: string) => void;
  color: boolean;
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
}

export interface DemoSummary {
  session: string | null;
  project: string;
  seconds: number;
  agents: { task_name: string; agent_type: string; status: string; turns: number }[];
  turns: number;
  messages: number;
  coordinator: { exitCode: number | null; result: string | null };
  /** Worker processes still alive at the end (there should be none). */
  leftover: number[];
  /** What the scripted model was asked (offline only), for tests. */
  model: ScriptedServer | null;
}

const COORDINATOR_TOOLS = 'mcp__maestro-tools,Read,Write,Edit,Glob,Grep';

/** The `claude` to run: on PATH, else the one this package was developed with. */
export function findClaude(
  env: NodeJS.ProcessEnv = process.env,
  fallbacks: string[] = [path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'claude')],
): string {
  const onPath = (env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'claude'));
  const candidates = [...onPath, ...fallbacks];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new MaestroError(
    'unavailable',
    'maestro demo runs a real Claude Code, and no `claude` was found on PATH. Install it with: npm install -g @anthropic-ai/claude-code',
  );
}

/** The project's changed and new files, maestro's own set-up left out. */
function gitChanges(project: string): string[] {
  try {
    return execFileSync('git', ['status', '--short', '--untracked-files=all'], { cwd: project, encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() && !/ (\.claude|\.mcp\.json|\.maestro|\.workflow)/.test(line));
  } catch {
    return [];
  }
}

function today(): string {
  return new Date().toISOString().slice(0, 10).replace(/-/g, '');
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { out, color } = options;
  const requirement = options.requirement ?? DEMO_REQUIREMENT;
  const claude = findClaude();
  if (options.live && !process.env.ANTHROPIC_API_KEY) {
    throw new MaestroError('invalid_input', 'maestro demo --live uses the real model: set ANTHROPIC_API_KEY first');
  }
  const started = Date.now();
  const project = mkdtempSync(path.join(tmpdir(), 'maestro-demo-'));
  const session = options.live ? null : `TC-tiny-shop-${today()}`;
  let model: ScriptedServer | null = null;
  let cleanupHome = () => {};
  const dbFile = path.join(project, '.maestro', 'maestro.db');
  const view = liveView(dbFile, out, color, started);
  if (session) view.sessions.add(session);

  try {
    try {
      writeSampleProject(project);
    } catch (error) {
      throw new MaestroError(
        'unavailable',
        `maestro demo needs git to set up its sample project: ${(error as Error).message}`,
      );
    }
    execFileSync(process.execPath, [MAESTRO_BIN, 'install', '--claude', '--project', project], { stdio: 'ignore' });
    out(`${paint(color, 'bold', 'maestro demo')} — ${options.live ? 'live model' : 'offline, scripted model'}`);
    out(`project  ${project} (tiny-shop, with maestro installed)`);
    out(`asking   claude -p "/team-coordinate ${requirement}"`);
    out('');

    let env: Record<string, string>;
    if (options.live) {
      env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    } else {
      model = await startAnthropicServer(demoScript({ session: session!, requirement }));
      const offline = claudeOfflineEnv({ baseUrl: model.url });
      env = offline.env;
      cleanupHome = offline.cleanup;
    }
    // Workers are started by the coordinator's maestro server, which inherits this PATH.
    env.PATH = `${path.dirname(claude)}${path.delimiter}${env.PATH ?? ''}`;

    let result: string | null = null;
    const coordinator = startProcess(
      [
        claude,
        '-p',
        `/team-coordinate ${requirement}`,
        '--output-format',
        'stream-json',
        '--verbose',
        '--permission-mode',
        'acceptEdits',
        '--allowedTools',
        COORDINATOR_TOOLS,
        '--mcp-config',
        path.join(project, '.mcp.json'),
      ],
      {
        cwd: project,
        env,
        stdin: 'ignore',
        leftoverGraceMs: 3000,
        onStdoutLine: (line) => {
          try {
            const parsed = JSON.parse(line) as { type?: string; result?: string };
            if (parsed.type === 'result') result = parsed.result ?? null;
          } catch {
            // not a JSON line
          }
        },
      },
    );
    const stop = () => void coordinator.stop(3000, () => coordinator.signalGroup('SIGTERM'));
    process.once('SIGINT', stop);
    const deadline = started + (options.timeoutMs ?? 10 * 60_000);
    let exit: Awaited<typeof coordinator.exited> | null = null;
    const exited = new AbortController();
    void coordinator.exited.then((e) => {
      exit = e;
      exited.abort();
    });
    while (!exit) {
      await view.poll();
      if (Date.now() > deadline) {
        out(paint(color, 'red', 'the demo took too long; stopping the coordinator'));
        await coordinator.stop(3000, () => coordinator.signalGroup('SIGTERM'));
      }
      // Woken by the database's changes (or the coordinator's exit); the second is for the deadline.
      await view.changed(1000, exited.signal);
    }
    process.off('SIGINT', stop);
    // The coordinator's server stops its workers as it exits; give the last writes a moment.
    await sleep(300);
    await view.poll();
    await view.close();
    const finalExit = exit as Awaited<typeof coordinator.exited>;
    if (finalExit.code !== 0) {
      out(
        paint(
          color,
          'red',
          `claude exited with ${finalExit.error ?? `code ${finalExit.code}`}: ${coordinator.stderrTail()}`,
        ),
      );
    }
    return await summarise({
      options,
      project,
      dbFile,
      session: session ?? [...view.sessions][0] ?? null,
      started,
      result,
      exitCode: finalExit.code,
      model,
    });
  } finally {
    await view.close();
    await model?.close();
    cleanupHome();
    if (!options.keep) rmSync(project, { recursive: true, force: true });
  }
}

async function summarise(args: {
  options: DemoOptions;
  project: string;
  dbFile: string;
  session: string | null;
  started: number;
  result: string | null;
  exitCode: number | null;
  model: ScriptedServer | null;
}): Promise<DemoSummary> {
  const { out, color } = args.options;
  let agents: AgentRecord[] = [];
  let messages = 0;
  if (existsSync(args.dbFile) && args.session) {
    const store = openSqliteStore(args.dbFile);
    try {
      agents = await store.agents.list({ sessionId: args.session });
      const timeline = await store.messages.list(args.session, {}, { limit: 100 });
      messages = timeline.total;
      out('');
      out(paint(color, 'bold', `The bus — maestro msg list -s ${args.session}`));
      for (const line of messageLines(timeline.messages, color)) out(line);
    } finally {
      await store.close();
    }
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const leftover = agents.flatMap((a) => (a.pid !== null && alive(a.pid) ? [a.pid] : []));
  const seconds = (Date.now() - args.started) / 1000;
  const turns = agents.reduce((sum, a) => sum + a.turn, 0);
  out('');
  out(paint(color, 'bold', 'Summary'));
  out(`  agents    ${agents.length}: ${agents.map((a) => `${a.task_name} ${a.status}`).join(', ') || '-'}`);
  out(`  turns     ${turns}`);
  out(`  messages  ${messages}`);
  out(`  time      ${seconds.toFixed(1)} s`);
  out(`  processes left behind: ${leftover.length}`);
  const changes = gitChanges(args.project);
  if (changes.length) {
    out('');
    out(paint(color, 'bold', 'What the team changed in the project'));
    for (const line of changes) out(`  ${line}`);
  }
  if (args.result) {
    out('');
    out(paint(color, 'bold', 'The coordinator’s report'));
    for (const line of args.result.split('\n')) out(`  ${line}`);
  }
  if (args.options.keep) out(`\nThe project is kept at ${args.project}`);
  return {
    session: args.session,
    project: args.project,
    seconds,
    agents: agents.map((a) => ({ task_name: a.task_name, agent_type: a.agent_type, status: a.status, turns: a.turn })),
    turns,
    messages,
    coordinator: { exitCode: args.exitCode, result: args.result },
    leftover,
    model: args.model,
  };
}
