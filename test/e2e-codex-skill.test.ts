/**
 * `$team-coordinate` in Codex, for real and offline: after `maestro install --codex`, Codex
 * loads the skill (with the tool names spelled as Codex shows them, and the note not to use Codex's
 * own multi-agent tools) and offers maestro's tools — and, in a project the user trusts, not
 * Codex's own spawn_agent, wait_agent, … (install turned them off in the project's config).
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codexOfflineEnv } from '../src/scripted/offline-env.js';
import { startOpenAIServer } from '../src/scripted/openai.js';
import { CLI, ROOT } from './helpers/paths.js';
import { gitProject } from './helpers/project.js';

/** The names of the tools and tool namespaces a Responses request offers. */
function toolNames(body: unknown): string[] {
  const tools = (body as { tools?: { name?: string }[] }).tools ?? [];
  return tools.map((t) => t.name ?? '');
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('Codex $team-coordinate', () => {
  it('loads the installed skill and offers the maestro tools', async () => {
    const model = await startOpenAIServer({ conversations: [], fallback: 'Understood.' });
    cleanups.push(() => model.close());
    const offline = codexOfflineEnv({
      baseUrl: model.url,
      extra: { PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` },
    });
    cleanups.push(offline.cleanup);
    const project = gitProject();
    execFileSync(process.execPath, [CLI, 'install', '--codex', '--project', project], {
      env: offline.env,
      stdio: 'ignore',
    });
    // The user trusts the project (Codex asks on its first start there): only then does Codex read
    // the project's .codex/config.toml, where install turned Codex's own multi-agent tools off.
    appendFileSync(
      path.join(offline.codexHome, 'config.toml'),
      `\n[projects.${JSON.stringify(project)}]\ntrust_level = "trusted"\n`,
    );

    const codex = spawn(
      'codex',
      ['exec', '--json', '--skip-git-repo-check', '$team-coordinate add a health check endpoint'],
      {
        cwd: project,
        env: offline.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    codex.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise((resolve) => codex.on('close', resolve));
    expect(code, out).toBe(0);

    const request = JSON.stringify(model.requests.find((r) => r.path.includes('/responses'))!.body);
    expect(request).toContain('add a health check endpoint');
    expect(request).toContain('## Tool-call convention'); // the skill's body
    expect(request).toContain('json tool=mcp__maestro_tools__list_agents'); // rewritten for Codex
    expect(request).not.toContain('mcp__maestro-tools__list_agents');
    expect(request).toMatch(/"name":"mcp__maestro_tools"/); // the server's tools are offered
    // Codex's own spawn_agent, wait_agent, … are not: the model can only call maestro's.
    const offered = toolNames(model.requests.find((r) => r.path.includes('/responses'))!.body);
    expect(offered).toContain('mcp__maestro_tools');
    expect(offered).not.toContain('multi_agent_v1');
    expect(offered).not.toContain('spawn_agent');
    // And the skill says so, naming maestro's tools.
    expect(request).toContain("In Codex: call maestro's tools, never Codex's own");
    expect(request).toContain('`mcp__maestro_tools__wait_agent`');
  }, 90_000);
});
