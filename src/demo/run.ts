/**
 * `maestro demo`: `maestro team` in a temporary copy of a small project — the same code path
 * (cli/team-run.ts), so the demo proves the real command. A real Claude Code lead, run by
 * maestro with the team-coordinate skill, runs a team of real Claude Code workers and a
 * supervisor; news of their work is pushed into the lead as it arrives. Offline, the scripted
 * model plays every agent; with --live the real model does.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { paint } from '../cli/output.js';
import { runTeamInTerminal, type TeamSummary } from '../cli/team-run.js';
import { MaestroError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { startAnthropicServer } from '../scripted/anthropic.js';
import type { ScriptedServer } from '../scripted/http.js';
import { claudeOfflineEnv } from '../scripted/offline-env.js';
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
  project: string;
  /** What `maestro team` reported at its end. */
  team: TeamSummary;
  /** What the scripted model was asked (offline only), for tests. */
  model: ScriptedServer | null;
}

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
  const project = mkdtempSync(path.join(tmpdir(), 'maestro-demo-'));
  const session = `TC-tiny-shop-${today()}`;
  let model: ScriptedServer | null = null;
  let cleanupHome = () => {};
  const timeout = new AbortController();
  const timer = setTimeout(
    () => {
      out(paint(color, 'red', 'the demo took too long; stopping the team'));
      timeout.abort();
    },
    options.timeoutMs ?? 10 * 60_000,
  );
  try {
    try {
      writeSampleProject(project);
    } catch (error) {
      throw new MaestroError(
        'unavailable',
        `maestro demo needs git to set up its sample project: ${(error as Error).message}`,
      );
    }
    out(`${paint(color, 'bold', 'maestro demo')} — ${options.live ? 'live model' : 'offline, scripted model'}`);
    out(`project  ${project} (tiny-shop)`);
    out(`running  maestro team --role planner=1 --dev 1 --test 1 --session ${session} "${requirement}"`);
    out('');

    let env: Record<string, string>;
    if (options.live) {
      env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    } else {
      model = await startAnthropicServer(demoScript({ session, requirement }));
      const offline = claudeOfflineEnv({ baseUrl: model.url });
      env = offline.env;
      cleanupHome = offline.cleanup;
    }
    // The lead and its workers are started by maestro with this PATH.
    env.PATH = `${path.dirname(claude)}${path.delimiter}${env.PATH ?? ''}`;
    // The demo's database is its own project's, whatever MAESTRO_DB the shell has.
    delete env.MAESTRO_DB;

    // `maestro team`'s own code path, in the sample project.
    const team = await runTeamInTerminal({
      project,
      env,
      start: {
        kind: 'new',
        lead: {
          sessionId: session,
          requirement,
          roster: [
            { role: 'planner', count: 1 },
            { role: 'developer', count: 1 },
            { role: 'tester', count: 1 },
          ],
          backend: 'claude',
        },
      },
      out,
      color,
      json: false,
      signal: timeout.signal,
    });
    const changes = gitChanges(project);
    if (changes.length) {
      out('');
      out(paint(color, 'bold', 'What the team changed in the project'));
      for (const line of changes) out(`  ${line}`);
    }
    if (options.keep) out(`\nThe project is kept at ${project}`);
    return { project, team, model };
  } finally {
    clearTimeout(timer);
    await model?.close();
    cleanupHome();
    if (!options.keep) rmSync(project, { recursive: true, force: true });
  }
}
