/**
 * `maestro install` / `maestro uninstall` through the real binary, against a temporary HOME,
 * Codex home and project, with a fake package (MAESTRO_PACKAGE_ROOT) so the tests do not depend
 * on the skills' content — and once with the real package's skills.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maestro, type CliResult } from './helpers/cli.js';
import { CLI, ROOT } from './helpers/paths.js';
import { maestroOnPath } from './helpers/maestro-bin.js';
import { tempDir } from './helpers/temp.js';

const SKILL = `---
name: team-coordinate
description: Coordinate a team of agents
allowed-tools: mcp__maestro-tools__team_msg, mcp__maestro-tools__spawn_agent
---

Call \`mcp__maestro-tools__spawn_agent\`, then \`mcp__maestro-tools__wait_agent\`.
`;

function write(file: string, content: string | Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** A package tree like the real one: two skills, a directory that is no skill, a command, an agent. */
function fakePackage(): string {
  const root = tempDir('maestro-pkg-');
  write(path.join(root, 'skills', 'team-coordinate', 'SKILL.md'), SKILL);
  write(path.join(root, 'skills', 'team-coordinate', 'roles', 'coordinator.md'), 'Use mcp__maestro-tools__team_msg.\n');
  write(path.join(root, 'skills', 'team-coordinate', 'specs', 'message-types.md'), '# Types\nprogress, blocker\n');
  write(
    path.join(root, 'skills', 'team-coordinate', 'specs', 'schema.json'),
    '{"tool":"mcp__maestro-tools__team_msg"}\n',
  );
  write(path.join(root, 'skills', 'team-worker', 'SKILL.md'), '---\nname: team-worker\ndescription: w\n---\nWork.\n');
  write(path.join(root, 'skills', 'README.md'), 'not a skill\n');
  write(path.join(root, 'skills', 'notes', 'ideas.md'), 'no SKILL.md here\n');
  write(path.join(root, '.claude', 'commands', 'team-coordinate.md'), '---\ndescription: c\n---\nRun $ARGUMENTS\n');
  write(path.join(root, '.claude', 'commands', 'team-progress.md'), 'a command of the repository itself\n');
  write(path.join(root, '.claude', 'agents', 'team-worker.md'), '---\nname: team-worker\n---\nA worker.\n');
  return root;
}

interface Setup {
  home: string;
  project: string;
  pkg: string;
  env: Record<string, string | undefined>;
  run(args: string[], cwd?: string): Promise<CliResult>;
}

function setup(extraEnv: Record<string, string | undefined> = {}): Setup {
  const home = tempDir('maestro-home-');
  const project = tempDir('maestro-proj-');
  execFileSync('git', ['init', '-q'], { cwd: project });
  const pkg = fakePackage();
  const env = {
    PATH: `${maestroOnPath()}${path.delimiter}${process.env.PATH}`,
    HOME: home,
    CODEX_HOME: undefined,
    CLAUDE_CONFIG_DIR: undefined,
    MAESTRO_PACKAGE_ROOT: pkg,
    ...extraEnv,
  };
  return { home, project, pkg, env, run: (args, cwd = project) => maestro(args, { env, cwd }) };
}

/** Every file (content) and directory below `dir`, except .git. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (name === '.git') continue;
      if (entry.isDirectory()) {
        out[`${name}/`] = '';
        walk(name);
      } else out[name] = readFileSync(path.join(dir, name)).toString('base64');
    }
  };
  walk('');
  return out;
}

const lines = (text: string) => text.split('\n').filter(Boolean);

const OTHER_MCP = `{
    "mcpServers": {
        "other": { "command": "other-server", "args": ["--flag"] },
        "remote": {
            "type": "http",
            "url": "https://example.com/mcp"
        }
    },
    "someSetting": [1, 2, 3]
}
`;

const CODEX_CONFIG = `# my settings
model = "gpt-5"
approval_policy = "on-request"

[mcp_servers.other]
command = "other"
args = ["--x"]

[projects."/some/where"]
trust_level = "trusted"`; // no final newline on purpose

function populatedProject(s: Setup): void {
  write(path.join(s.project, '.mcp.json'), OTHER_MCP);
  write(path.join(s.project, '.claude', 'skills', 'mine', 'SKILL.md'), '---\nname: mine\n---\nmine\n');
  write(path.join(s.project, '.claude', 'settings.json'), '{"permissions":{}}\n');
  write(path.join(s.home, '.codex', 'config.toml'), CODEX_CONFIG);
}

/** Every file of the package a client gets, as [source, installed path, expected content]. */
function expectedFiles(pkg: string, base: string, client: 'claude' | 'codex'): [string, string, Buffer][] {
  const out: [string, string, Buffer][] = [];
  const skills = path.join(pkg, 'skills');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  const add = (source: string, dest: string) => {
    let content = readFileSync(source);
    const note = path.join(pkg, 'skills', 'CODEX.md');
    if (client === 'codex' && path.basename(source) === 'SKILL.md' && existsSync(note)) {
      // After the frontmatter: the note that Codex's own multi-agent tools are not to be used.
      const [, frontmatter, body] = /^(---\n[\s\S]*?\n---\n)([\s\S]*)$/.exec(content.toString('utf8'))!;
      content = Buffer.from(`${frontmatter}\n${readFileSync(note, 'utf8').trimEnd()}\n${body}`);
    }
    if (client === 'codex' && source.endsWith('.md')) {
      content = Buffer.from(content.toString('utf8').replaceAll('mcp__maestro-tools__', 'mcp__maestro_tools__'));
    }
    out.push([source, dest, content]);
  };
  if (existsSync(skills)) {
    for (const name of readdirSync(skills)) {
      const dir = path.join(skills, name);
      if (!existsSync(path.join(dir, 'SKILL.md'))) continue;
      for (const file of walk(dir)) add(file, path.join(base, 'skills', name, path.relative(dir, file)));
    }
  }
  if (client === 'claude') {
    const command = path.join(pkg, '.claude', 'commands', 'team-coordinate.md');
    if (existsSync(command)) add(command, path.join(base, 'commands', 'team-coordinate.md'));
    const agents = path.join(pkg, '.claude', 'agents');
    if (existsSync(agents)) {
      for (const name of readdirSync(agents).filter((n) => n.endsWith('.md'))) {
        add(path.join(agents, name), path.join(base, 'agents', name));
      }
    }
  }
  return out;
}

function expectInstalled(pkg: string, base: string, client: 'claude' | 'codex'): void {
  const files = expectedFiles(pkg, base, client);
  expect(files.length).toBeGreaterThan(0);
  for (const [source, dest, content] of files) {
    expect(existsSync(dest), `${dest} (from ${source})`).toBe(true);
    expect(readFileSync(dest).equals(content), `${dest} equals ${source}`).toBe(true);
  }
}

describe('maestro install / uninstall: project', () => {
  it('installs for both clients, then uninstall leaves every unrelated byte as it was', async () => {
    const s = setup();
    populatedProject(s);
    const before = { project: snapshot(s.project), home: snapshot(s.home) };

    const installed = await s.run(['install']);
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    const out = lines(installed.stdout);
    expect(out).toContain('created .claude/skills/team-coordinate/SKILL.md');
    expect(out).toContain('created .claude/skills/team-coordinate/specs/schema.json');
    expect(out).toContain('created .claude/commands/team-coordinate.md');
    expect(out).toContain('created .claude/agents/team-worker.md');
    expect(out).toContain('created .agents/skills/team-worker/SKILL.md');
    expect(out).toContain('merged .mcp.json: mcpServers.maestro-tools');
    expect(out).toContain('appended ~/.codex/config.toml: [mcp_servers.maestro-tools]');
    expect(installed.stdout).toMatch(/Codex reads MCP servers only from its per-user config/);
    expect(installed.stdout).toMatch(/restart it in .* approve the project's maestro-tools server/);
    expect(installed.stdout).toMatch(/type \$team-coordinate/);
    expect(installed.stdout).not.toMatch(/team-progress|notes\/ideas|skills\/README/);

    expectInstalled(s.pkg, path.join(s.project, '.claude'), 'claude');
    expectInstalled(s.pkg, path.join(s.project, '.agents'), 'codex');
    const codexSkill = readFileSync(path.join(s.project, '.agents/skills/team-coordinate/SKILL.md'), 'utf8');
    expect(codexSkill).toContain('mcp__maestro_tools__spawn_agent');
    expect(codexSkill).not.toContain('mcp__maestro-tools__');
    // Only markdown is rewritten.
    expect(readFileSync(path.join(s.project, '.agents/skills/team-coordinate/specs/schema.json'), 'utf8')).toContain(
      'mcp__maestro-tools__team_msg',
    );

    const mcp = JSON.parse(readFileSync(path.join(s.project, '.mcp.json'), 'utf8'));
    expect(Object.keys(mcp.mcpServers)).toEqual(['other', 'remote', 'maestro-tools']);
    // Shared with teammates: the command, not this machine's paths (those stay in the per-user config.toml).
    expect(mcp.mcpServers['maestro-tools']).toEqual({ type: 'stdio', command: 'maestro', args: ['mcp'] });
    expect(mcp.someSetting).toEqual([1, 2, 3]);
    // Everything that was there keeps its exact text.
    const mcpText = readFileSync(path.join(s.project, '.mcp.json'), 'utf8');
    expect(mcpText).toContain('"other": { "command": "other-server", "args": ["--flag"] },');

    const toml = readFileSync(path.join(s.home, '.codex', 'config.toml'), 'utf8');
    expect(toml.startsWith(`${CODEX_CONFIG}\n# >>> maestro-tools (managed by maestro install) >>>\n`)).toBe(true);
    expect(toml).toContain(`[mcp_servers.maestro-tools]\ncommand = ${JSON.stringify(process.execPath)}\n`);
    expect(toml).toContain(`args = [${JSON.stringify(CLI)}, "mcp"]\n`);
    expect(toml).toContain('default_tools_approval_mode = "approve"\nrequired = true\ntool_timeout_sec = 3660\n');
    expect(toml.trimEnd().endsWith('# <<< maestro-tools <<<')).toBe(true);

    const manifest = JSON.parse(readFileSync(path.join(s.project, '.maestro', 'install.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain('.claude/skills/team-coordinate/SKILL.md');
    expect(manifest.json).toHaveLength(1);
    expect(manifest.toml).toEqual([
      { client: 'codex', file: path.join(s.home, '.codex', 'config.toml'), owner: s.project },
    ]);

    // The user edits one installed copy: uninstall keeps it and says so.
    const edited = path.join(s.project, '.claude', 'skills', 'team-coordinate', 'roles', 'coordinator.md');
    writeFileSync(edited, 'my own notes\n');

    const removed = await s.run(['uninstall']);
    expect(removed.code).toBe(0);
    expect(lines(removed.stdout)).toContain('removed .claude/skills/team-coordinate/SKILL.md');
    expect(lines(removed.stdout)).toContain('removed .mcp.json: mcpServers.maestro-tools');
    expect(lines(removed.stdout)).toContain('removed ~/.codex/config.toml: [mcp_servers.maestro-tools]');
    expect(removed.stderr).toBe(
      'warning: kept .claude/skills/team-coordinate/roles/coordinator.md: changed since maestro installed it',
    );

    const after = snapshot(s.project);
    expect(after['.claude/skills/team-coordinate/roles/coordinator.md']).toBe(
      Buffer.from('my own notes\n').toString('base64'),
    );
    for (const kept of [
      '.claude/skills/team-coordinate/roles/coordinator.md',
      '.claude/skills/team-coordinate/roles/',
      '.claude/skills/team-coordinate/',
    ]) {
      delete after[kept];
    }
    expect(after).toEqual(before.project);
    expect(snapshot(s.home)).toEqual(before.home);
  });

  it('is idempotent: a second install changes nothing and says so', async () => {
    const s = setup();
    populatedProject(s);
    expect((await s.run(['install'])).code).toBe(0);
    const first = { project: snapshot(s.project), home: snapshot(s.home) };
    const again = await s.run(['install']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `maestro is already installed for Claude Code and Codex in ${s.project}: nothing to change.`,
    );
    expect(again.stderr).toBe('');
    expect(snapshot(s.project)).toEqual(first.project);
    expect(snapshot(s.home)).toEqual(first.home);
    // And a second uninstall has nothing left to do.
    expect((await s.run(['uninstall'])).code).toBe(0);
    const twice = await s.run(['uninstall']);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toMatch(/^maestro is not installed for Claude Code and Codex in .*: nothing to remove\.$/);
  });

  it('--dry-run prints the changes and writes nothing (install and uninstall)', async () => {
    const s = setup();
    populatedProject(s);
    const before = { project: snapshot(s.project), home: snapshot(s.home) };
    const dry = await s.run(['install', '--dry-run']);
    expect(dry.code).toBe(0);
    const out = lines(dry.stdout);
    expect(out).toContain('create .claude/skills/team-coordinate/SKILL.md');
    expect(out).toContain('create .agents/skills/team-coordinate/roles/coordinator.md');
    expect(out).toContain('merge .mcp.json: mcpServers.maestro-tools');
    expect(out).toContain('append ~/.codex/config.toml: [mcp_servers.maestro-tools]');
    expect(out).toContain('dry run: nothing was written.');
    expect(snapshot(s.project)).toEqual(before.project);
    expect(snapshot(s.home)).toEqual(before.home);

    // The real run prints the same changes, in the past tense.
    const real = await s.run(['install']);
    const verbs: Record<string, string> = { create: 'created', merge: 'merged', append: 'appended' };
    const changes = out.filter((l) => /^(create|merge|append) /.test(l));
    expect(lines(real.stdout).slice(0, changes.length)).toEqual(
      changes.map((l) => l.replace(/^\w+/, (v) => verbs[v]!)),
    );

    const installed = { project: snapshot(s.project), home: snapshot(s.home) };
    const dryRemove = await s.run(['uninstall', '--dry-run']);
    expect(dryRemove.code).toBe(0);
    expect(lines(dryRemove.stdout)).toContain('remove .claude/commands/team-coordinate.md');
    expect(lines(dryRemove.stdout)).toContain('remove .mcp.json: mcpServers.maestro-tools');
    expect(snapshot(s.project)).toEqual(installed.project);
    expect(snapshot(s.home)).toEqual(installed.home);
  });

  it('creates .mcp.json and config.toml when missing, and removes them again', async () => {
    const s = setup();
    const before = { project: snapshot(s.project), home: snapshot(s.home) };
    const result = await s.run(['install']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toContain('created .mcp.json: mcpServers.maestro-tools');
    expect(JSON.parse(readFileSync(path.join(s.project, '.mcp.json'), 'utf8'))).toEqual({
      mcpServers: { 'maestro-tools': { type: 'stdio', command: 'maestro', args: ['mcp'] } },
    });
    expect(existsSync(path.join(s.home, '.codex', 'config.toml'))).toBe(true);
    expect((await s.run(['uninstall'])).code).toBe(0);
    expect(snapshot(s.project)).toEqual(before.project);
    expect(snapshot(s.home)).toEqual(before.home);
  });

  it('--claude and --codex install and uninstall one client only; --project names the project', async () => {
    const s = setup();
    const elsewhere = tempDir();
    const claude = await s.run(['install', '--claude', '--project', s.project], elsewhere);
    expect(claude.code).toBe(0);
    expect(existsSync(path.join(s.project, '.claude', 'skills', 'team-coordinate', 'SKILL.md'))).toBe(true);
    expect(existsSync(path.join(s.project, '.agents'))).toBe(false);
    expect(existsSync(path.join(s.home, '.codex'))).toBe(false);
    expect(claude.stdout).not.toMatch(/Codex/);

    const codex = await s.run(['install', '--codex', '--project', s.project], elsewhere);
    expect(codex.code).toBe(0);
    expect(
      lines(codex.stdout)
        .filter((l) => l.startsWith('created '))
        .every((l) => l.includes('.agents/') || l.startsWith('created .codex/config.toml: ')),
    ).toBe(true);
    expect(existsSync(path.join(s.project, '.gitignore'))).toBe(true);

    const off = await s.run(['uninstall', '--codex'], path.join(s.project));
    expect(off.code).toBe(0);
    expect(existsSync(path.join(s.project, '.agents'))).toBe(false);
    expect(existsSync(path.join(s.home, '.codex'))).toBe(false);
    expect(existsSync(path.join(s.project, '.claude', 'skills', 'team-coordinate', 'SKILL.md'))).toBe(true);
    expect((await s.run(['uninstall', '--claude'])).code).toBe(0);
    expect(readdirSync(s.project)).toEqual(['.git']);
  });

  it('installs from a subdirectory into the git top-level', async () => {
    const s = setup();
    const sub = path.join(s.project, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const result = await s.run(['install', '--claude'], sub);
    expect(result.code).toBe(0);
    expect(existsSync(path.join(s.project, '.mcp.json'))).toBe(true);
    expect(existsSync(path.join(sub, '.mcp.json'))).toBe(false);
  });

  it('follows the package: changed files are updated, files it dropped are removed', async () => {
    const s = setup();
    expect((await s.run(['install'])).code).toBe(0);
    write(path.join(s.pkg, 'skills', 'team-coordinate', 'SKILL.md'), `${SKILL}\nOne more line.\n`);
    rmSync(path.join(s.pkg, 'skills', 'team-coordinate', 'specs', 'message-types.md'));
    const result = await s.run(['install']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(
      expect.arrayContaining([
        'updated .claude/skills/team-coordinate/SKILL.md',
        'updated .agents/skills/team-coordinate/SKILL.md',
        'removed .claude/skills/team-coordinate/specs/message-types.md',
        'removed .agents/skills/team-coordinate/specs/message-types.md',
      ]),
    );
    expectInstalled(s.pkg, path.join(s.project, '.claude'), 'claude');
    expect(existsSync(path.join(s.project, '.claude/skills/team-coordinate/specs/message-types.md'))).toBe(false);
  });

  it('shares one Codex block between projects: it goes when the last one uninstalls', async () => {
    const s = setup();
    write(path.join(s.home, '.codex', 'config.toml'), 'model = "o3"\n');
    const other = tempDir('maestro-proj-');
    const runOther = (args: string[]) => maestro(args, { env: s.env, cwd: other });
    const config = path.join(s.home, '.codex', 'config.toml');

    expect((await s.run(['install', '--codex'])).code).toBe(0);
    const second = await runOther(['install', '--codex']);
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toContain('updated ~/.codex/config.toml: [mcp_servers.maestro-tools]');
    const both = readFileSync(config, 'utf8');
    expect(both).toContain(`# installed for: ${s.project}\n# installed for: ${other}\n`);
    expect(both.match(/\[mcp_servers\.maestro-tools\]/g)).toHaveLength(1);

    const first = await s.run(['uninstall', '--codex']);
    expect(lines(first.stdout)).toContain(
      'updated ~/.codex/config.toml: [mcp_servers.maestro-tools] (still installed for others)',
    );
    expect(readFileSync(config, 'utf8')).toContain('[mcp_servers.maestro-tools]');
    expect((await runOther(['uninstall', '--codex'])).code).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe('model = "o3"\n');
  });
});

describe('maestro install: the project files it shares with others', () => {
  const gitStatus = (dir: string) =>
    execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' });

  it('adds .maestro/ to .gitignore, keeping the rest, and uninstall takes exactly that line back', async () => {
    const s = setup();
    const gitignore = path.join(s.project, '.gitignore');
    write(gitignore, 'node_modules\n*.log'); // no final newline on purpose
    const installed = await s.run(['install']);
    expect(installed.code, installed.stderr).toBe(0);
    expect(lines(installed.stdout)).toContain('appended .gitignore: .maestro/');
    expect(readFileSync(gitignore, 'utf8')).toBe('node_modules\n*.log\n.maestro/\n');
    // The server's database lives there too: make it exist, git must not see it.
    write(path.join(s.project, '.maestro', 'maestro.db'), 'x');
    expect(gitStatus(s.project)).not.toMatch(/\.maestro/);
    expect((await s.run(['install'])).stdout).toMatch(/nothing to change/);

    // One client off: the line stays while the other one is installed.
    expect((await s.run(['uninstall', '--codex'])).code).toBe(0);
    expect(readFileSync(gitignore, 'utf8')).toContain('.maestro/');
    const removed = await s.run(['uninstall', '--claude']);
    expect(lines(removed.stdout)).toContain('removed .gitignore: .maestro/');
    expect(readFileSync(gitignore, 'utf8')).toBe('node_modules\n*.log');
  });

  it('creates .gitignore when there is none (and removes it again), and leaves one that ignores .maestro alone', async () => {
    const s = setup();
    const gitignore = path.join(s.project, '.gitignore');
    expect((await s.run(['install', '--claude'])).code).toBe(0);
    expect(readFileSync(gitignore, 'utf8')).toBe('.maestro/\n');
    expect(gitStatus(s.project)).not.toMatch(/\.maestro/);
    expect((await s.run(['uninstall'])).code).toBe(0);
    expect(existsSync(gitignore)).toBe(false);

    write(gitignore, '/.maestro\n');
    const again = await s.run(['install', '--claude']);
    expect(again.stdout).not.toMatch(/gitignore/);
    expect(readFileSync(gitignore, 'utf8')).toBe('/.maestro\n');
    // --user installs touch no project.
    const user = setup();
    expect((await user.run(['install', '--user'])).code).toBe(0);
    expect(existsSync(path.join(user.project, '.gitignore'))).toBe(false);
    expect(existsSync(path.join(user.home, '.gitignore'))).toBe(false);
  });

  it("turns Codex's own multi-agent tools off in this project's .codex/config.toml, never in the user's", async () => {
    const s = setup();
    const projectConfig = path.join(s.project, '.codex', 'config.toml');
    const installed = await s.run(['install', '--codex']);
    expect(installed.code, installed.stderr).toBe(0);
    expect(lines(installed.stdout)).toContain('created .codex/config.toml: [features] multi_agent = false');
    expect(installed.stdout).toMatch(/Codex reads \.codex\/config\.toml only in a project you trust/);
    const text = readFileSync(projectConfig, 'utf8');
    expect(text).toMatch(/^\[features\]\nmulti_agent = false\n$/m);
    expect(readFileSync(path.join(s.home, '.codex', 'config.toml'), 'utf8')).not.toMatch(/features|multi_agent/);
    const manifest = JSON.parse(readFileSync(path.join(s.project, '.maestro', 'install.json'), 'utf8'));
    expect(manifest.lines).toContainEqual(
      expect.objectContaining({ client: 'codex', file: '.codex/config.toml', createdFile: true }),
    );
    expect((await s.run(['uninstall', '--codex'])).code).toBe(0);
    expect(existsSync(path.join(s.project, '.codex'))).toBe(false);

    // A project config of the user's own: appended to, and restored byte for byte.
    const own = 'model = "o3"\n[sandbox_workspace_write]\nnetwork_access = true';
    write(projectConfig, own);
    expect((await s.run(['install', '--codex'])).code).toBe(0);
    expect(readFileSync(projectConfig, 'utf8')).toBe(`${own}\n${text}`);
    expect((await s.run(['uninstall', '--codex'])).code).toBe(0);
    expect(readFileSync(projectConfig, 'utf8')).toBe(own);

    // One with its own [features] table is not edited: the install says what to add.
    write(projectConfig, '[features]\nweb_search = true\n');
    const warned = await s.run(['install', '--codex']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(
      "warning: .codex/config.toml has its own [features]: add multi_agent = false there to turn Codex's own multi-agent tools off",
    );
    expect(readFileSync(projectConfig, 'utf8')).toBe('[features]\nweb_search = true\n');
  });

  it('keeps its [features] lines when the user added keys below them', async () => {
    const s = setup();
    expect((await s.run(['install', '--codex'])).code).toBe(0);
    const projectConfig = path.join(s.project, '.codex', 'config.toml');
    writeFileSync(projectConfig, `${readFileSync(projectConfig, 'utf8')}web_search = true\n`);
    const removed = await s.run(['uninstall', '--codex']);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain('warning: kept .codex/config.toml: [features] multi_agent = false: changed since');
    expect(readFileSync(projectConfig, 'utf8')).toContain('[features]\nmulti_agent = false\nweb_search = true\n');
  });
});

describe("maestro install: a shared .mcp.json names no machine's paths", () => {
  it("writes 'maestro mcp' when maestro on the PATH is this installation; per-user registrations keep absolute paths", async () => {
    const s = setup();
    expect((await s.run(['install'])).stderr).toBe('');
    const mcp = JSON.parse(readFileSync(path.join(s.project, '.mcp.json'), 'utf8'));
    expect(mcp.mcpServers['maestro-tools']).toEqual({ type: 'stdio', command: 'maestro', args: ['mcp'] });
    expect(readFileSync(path.join(s.home, '.codex', 'config.toml'), 'utf8')).toContain(
      `command = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(CLI)}, "mcp"]`,
    );
    expect((await s.run(['install', '--user', '--claude'])).code).toBe(0);
    const user = JSON.parse(readFileSync(path.join(s.home, '.claude.json'), 'utf8'));
    expect(user.mcpServers['maestro-tools']).toEqual({ type: 'stdio', command: process.execPath, args: [CLI, 'mcp'] });
  });

  it('falls back to absolute paths only when nothing portable works, and says so', async () => {
    const s = setup();
    s.env.PATH = process.env.PATH; // no maestro on it (the test's own checkout is no installed package)
    const result = await s.run(['install', '--claude']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `warning: .mcp.json gets this machine's paths (${process.execPath} ${CLI} mcp): teammates who share it cannot start it.`,
    );
    // A maestro on the PATH that is another installation is not taken for this one.
    const other = tempDir('maestro-other-bin-');
    write(path.join(other, 'maestro'), '#!/bin/sh\n');
    chmodSync(path.join(other, 'maestro'), 0o755);
    const { projectServer } = await import('../src/install/registration.js');
    const choice = { packageRoot: ROOT, bin: CLI, version: '1.2.3', cwd: s.project, env: { PATH: other } };
    expect(projectServer(choice).portable).toBe(false);
    // An installed copy of the package (npx's cache is one): npx of that same version.
    const npx = path.join(tempDir('maestro-npm-'), '_npx', 'abc', 'node_modules', 'maestro-tools');
    expect(projectServer({ ...choice, packageRoot: npx, bin: path.join(npx, 'dist/bin/main.js') })).toEqual({
      server: { type: 'stdio', command: 'npx', args: ['-y', 'maestro-tools@1.2.3', 'mcp'] },
      portable: true,
    });
  });

  it('a per-user registration from a temporary copy or npx cache is flagged', async () => {
    const { volatilePath } = await import('../src/install/registration.js');
    expect(volatilePath('/home/u/.npm/_npx/0a1b/node_modules/maestro-tools/dist/bin/main.js')).toBe(
      "in npx's cache, which npm clears",
    );
    expect(volatilePath(path.join(tempDir(), 'main.js'))).toBe('in a temporary directory');
    expect(volatilePath('/usr/lib/node_modules/maestro-tools/dist/bin/main.js', '/tmp')).toBeUndefined();
  });
});

describe('maestro install / uninstall: --user', () => {
  const CLAUDE_JSON = `{
  "numStartups": 12,
  "projects": {
    "/some/project": {
      "allowedTools": [],
      "mcpServers": {}
    }
  },
  "mcpServers": {
    "mine": {
      "type": "stdio",
      "command": "mine",
      "args": []
    }
  },
  "userID": "abc"
}`;

  it('installs into ~/.claude, ~/.claude.json, ~/.agents and $CODEX_HOME, and takes it all back', async () => {
    const s = setup();
    const codexHome = path.join(s.home, 'codex-home');
    s.env.CODEX_HOME = codexHome;
    write(path.join(s.home, '.claude.json'), CLAUDE_JSON);
    write(path.join(s.home, '.claude', 'skills', 'mine', 'SKILL.md'), 'mine\n');
    write(path.join(codexHome, 'config.toml'), 'model = "o3"\n\n[mcp_servers.x]\ncommand = "x"\n');
    const before = { project: snapshot(s.project), home: snapshot(s.home) };

    const result = await s.run(['install', '--user']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out).toContain('created ~/.claude/skills/team-coordinate/SKILL.md');
    expect(out).toContain('merged ~/.claude.json: mcpServers.maestro-tools');
    expect(out).toContain('created ~/.agents/skills/team-coordinate/SKILL.md');
    expect(out).toContain('appended ~/codex-home/config.toml: [mcp_servers.maestro-tools]');
    expect(result.stdout).not.toMatch(/per-user config/);
    expectInstalled(s.pkg, path.join(s.home, '.claude'), 'claude');
    expectInstalled(s.pkg, path.join(s.home, '.agents'), 'codex');
    const state = JSON.parse(readFileSync(path.join(s.home, '.claude.json'), 'utf8'));
    expect(state.numStartups).toBe(12);
    expect(state.userID).toBe('abc');
    expect(Object.keys(state.mcpServers)).toEqual(['mine', 'maestro-tools']);
    expect(state.projects['/some/project'].mcpServers).toEqual({});
    expect(readFileSync(path.join(codexHome, 'config.toml'), 'utf8')).toContain('# installed for: user\n');
    expect(existsSync(path.join(s.home, '.maestro', 'install.json'))).toBe(true);
    expect(snapshot(s.project)).toEqual(before.project);

    expect((await s.run(['install', '--user'])).stdout).toBe(
      'maestro is already installed for Claude Code and Codex for the user: nothing to change.',
    );
    const removed = await s.run(['uninstall', '--user']);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toBe('');
    expect(snapshot(s.home)).toEqual(before.home);
  });

  it('honours CLAUDE_CONFIG_DIR for the files and .claude.json', async () => {
    const s = setup();
    const config = path.join(s.home, 'claude-config');
    s.env.CLAUDE_CONFIG_DIR = config;
    const result = await s.run(['install', '--user', '--claude']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toContain('created ~/claude-config/.claude.json: mcpServers.maestro-tools');
    expectInstalled(s.pkg, config, 'claude');
    expect(existsSync(path.join(s.home, '.claude'))).toBe(false);
    expect(existsSync(path.join(s.home, '.claude.json'))).toBe(false);
    expect((await s.run(['uninstall', '--user'])).code).toBe(0);
    expect(readdirSync(s.home)).toEqual([]);
  });
});

describe('maestro install: conflicts', () => {
  it('leaves a file maestro did not write alone (exit 1); --force replaces it and uninstall puts it back', async () => {
    const s = setup();
    const mine = path.join(s.project, '.claude', 'commands', 'team-coordinate.md');
    write(mine, 'my own command\n');
    const before = snapshot(s.project);

    const result = await s.run(['install', '--claude']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'conflict .claude/commands/team-coordinate.md: exists and was not written by maestro',
    );
    expect(result.stderr.split('\n').at(-1)).toMatch(/^maestro: 1 conflict: left alone; rerun with --force/);
    expect(readFileSync(mine, 'utf8')).toBe('my own command\n');
    expect(lines(result.stdout)).toContain('created .claude/skills/team-coordinate/SKILL.md');
    // Running again reports the same conflict and installs nothing new.
    const again = await s.run(['install', '--claude']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');

    const forced = await s.run(['install', '--claude', '--force']);
    expect(forced.code).toBe(0);
    expect(lines(forced.stdout)).toContain(
      'replaced .claude/commands/team-coordinate.md (the old one is kept in .maestro/install-backup/claude/commands/team-coordinate.md)',
    );
    expect(readFileSync(mine, 'utf8')).toBe(
      readFileSync(path.join(s.pkg, '.claude/commands/team-coordinate.md'), 'utf8'),
    );

    const removed = await s.run(['uninstall']);
    expect(removed.code).toBe(0);
    expect(lines(removed.stdout)).toContain('restored .claude/commands/team-coordinate.md');
    expect(snapshot(s.project)).toEqual(before);
  });

  it("keeps a copy the user changed since install and says so (exit 0); --force takes maestro's", async () => {
    const s = setup();
    expect((await s.run(['install'])).code).toBe(0);
    const agent = path.join(s.project, '.claude', 'agents', 'team-worker.md');
    writeFileSync(agent, `${readFileSync(agent, 'utf8')}Always run the tests first.\n`);
    const copy = path.join(s.project, '.agents', 'skills', 'team-coordinate', 'SKILL.md');
    writeFileSync(copy, 'edited\n');
    write(path.join(s.pkg, 'skills', 'team-coordinate', 'SKILL.md'), `${SKILL}\nnew\n`);
    const result = await s.run(['install']);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stderr)).toEqual([
      "warning: kept .claude/agents/team-worker.md: changed since maestro installed it (--force takes maestro's copy)",
      "warning: kept .agents/skills/team-coordinate/SKILL.md: changed since maestro installed it (--force takes maestro's copy)",
    ]);
    // The copy nobody edited follows the package.
    expect(lines(result.stdout)).toContain('updated .claude/skills/team-coordinate/SKILL.md');
    expect(readFileSync(copy, 'utf8')).toBe('edited\n');
    expect(readFileSync(agent, 'utf8')).toMatch(/Always run the tests first\.\n$/);
    const doctor = await s.run(['doctor', '--json']);
    expect(doctor.code, doctor.stdout).toBe(0);
    const checks = JSON.parse(doctor.stdout).checks as { name: string; status: string; message: string }[];
    expect(checks.find((c) => c.name === 'claude skills')).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('changed locally: .claude/agents/team-worker.md (yours: install keeps it'),
    });
    expect(checks.find((c) => c.name === 'codex skills')?.message).toContain(
      'changed locally: .agents/skills/team-coordinate/SKILL.md',
    );
    const forced = await s.run(['install', '--codex', '--force']);
    expect(forced.code).toBe(0);
    expect(lines(forced.stdout)).toContain('replaced .agents/skills/team-coordinate/SKILL.md');
    expect(readFileSync(copy, 'utf8')).toContain('mcp__maestro_tools__spawn_agent');
  });

  it('leaves a maestro-tools entry in .mcp.json alone; --force replaces it and uninstall restores its exact text', async () => {
    const s = setup();
    const original = '{\n  "mcpServers": {\n    "maestro-tools": { "command": "maestro", "args": ["mcp"] }\n  }\n}\n';
    write(path.join(s.project, '.mcp.json'), original);
    const result = await s.run(['install', '--claude']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'conflict .mcp.json: mcpServers.maestro-tools: already registers maestro-tools as `maestro mcp`, not written by maestro',
    );
    expect(readFileSync(path.join(s.project, '.mcp.json'), 'utf8')).toBe(original);

    const forced = await s.run(['install', '--claude', '--force']);
    expect(forced.code).toBe(0);
    expect(lines(forced.stdout)).toContain('replaced .mcp.json: mcpServers.maestro-tools');
    expect(
      JSON.parse(readFileSync(path.join(s.project, '.mcp.json'), 'utf8')).mcpServers['maestro-tools'].args,
    ).toEqual(['mcp']);
    const removed = await s.run(['uninstall', '--claude']);
    expect(lines(removed.stdout)).toContain('restored .mcp.json: mcpServers.maestro-tools');
    expect(readFileSync(path.join(s.project, '.mcp.json'), 'utf8')).toBe(original);
  });

  it('does not duplicate a [mcp_servers.maestro-tools] defined outside its block, even with --force', async () => {
    const s = setup();
    const config = 'model = "o3"\n\n[mcp_servers.maestro-tools]\ncommand = "maestro"\nargs = ["mcp"]\n';
    write(path.join(s.home, '.codex', 'config.toml'), config);
    for (const extra of [[], ['--force']]) {
      const result = await s.run(['install', '--codex', ...extra]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "conflict ~/.codex/config.toml: [mcp_servers.maestro-tools]: already defined at line 3, outside maestro's managed block",
      );
      expect(result.stderr).toContain('codex mcp remove maestro-tools');
      expect(readFileSync(path.join(s.home, '.codex', 'config.toml'), 'utf8')).toBe(config);
    }
    // Other spellings of the same table count too.
    write(path.join(s.home, '.codex', 'config.toml'), '[mcp_servers."maestro-tools".env]\nX = "1"\n');
    expect((await s.run(['install', '--codex'])).stderr).toContain('already defined at line 1');
    write(path.join(s.home, '.codex', 'config.toml'), '[mcp_servers]\nmaestro-tools = { command = "m" }\n');
    expect((await s.run(['install', '--codex'])).stderr).toContain('already defined at line 2');
  });

  it('refuses to edit an .mcp.json that is not valid JSON', async () => {
    const s = setup();
    write(path.join(s.project, '.mcp.json'), '{ "mcpServers": { // comment\n } }\n');
    const result = await s.run(['install', '--claude']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/conflict \.mcp\.json: mcpServers\.maestro-tools: cannot be edited: .*JSON/);
  });
});

describe('maestro install: the real package', () => {
  it('installs whatever skills the package has, each copied file equal to its source', async () => {
    const s = setup({ MAESTRO_PACKAGE_ROOT: undefined });
    const result = await s.run(['install']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const client of ['claude', 'codex'] as const) {
      const base = path.join(s.project, client === 'claude' ? '.claude' : '.agents');
      for (const [source, dest, content] of expectedFiles(ROOT, base, client)) {
        expect(readFileSync(dest).equals(content), `${dest} equals ${source}`).toBe(true);
        if (client === 'codex' && dest.endsWith('.md'))
          expect(readFileSync(dest, 'utf8')).not.toContain('mcp__maestro-tools__');
      }
    }
    // Codex's copy tells the model to use maestro's tools, not Codex's own; Claude's has no such note.
    const codexSkill = readFileSync(path.join(s.project, '.agents', 'skills', 'team-coordinate', 'SKILL.md'), 'utf8');
    expect(codexSkill).toMatch(
      /^---\nname: team-coordinate\n[\s\S]*?\n---\n\n## In Codex: call maestro's tools, never Codex's own\n/,
    );
    expect(codexSkill).toContain('**Do not call them for this work**');
    expect(codexSkill).toContain('`multi_agent_v1`');
    for (const tool of [
      'spawn_agent',
      'wait_agent',
      'send_message',
      'followup_task',
      'close_agent',
      'list_agents',
      'team_msg',
    ]) {
      expect(codexSkill).toContain(`\`mcp__maestro_tools__${tool}\``);
    }
    const claudeSkill = readFileSync(path.join(s.project, '.claude', 'skills', 'team-coordinate', 'SKILL.md'), 'utf8');
    expect(claudeSkill).not.toContain('In Codex');
    expect((await s.run(['uninstall'])).code).toBe(0);
    expect(readdirSync(s.project)).toEqual(['.git']);
  });
});

describe('maestro install: usage', () => {
  it.each([['install'], ['uninstall'], ['doctor']])('maestro %s --help prints usage and exits 0', async (command) => {
    const result = await maestro([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: maestro ${command}`));
  });

  it.each([
    [['install', '--project', '.', '--user'], /--project and --user exclude each other/],
    [['uninstall', '--user', '--project', '.'], /--project and --user exclude each other/],
    [['install', '--bogus'], /unknown option '--bogus'/],
    [['install', 'extra'], /unexpected 'extra'/],
    [['uninstall', '--force'], /unknown option '--force'/],
  ])('maestro %j is a usage error (exit 2)', async (args, message) => {
    const s = setup();
    const result = await s.run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(readdirSync(s.project)).toEqual(['.git']);
  });

  it('a missing --project directory is an error (exit 1)', async () => {
    const s = setup();
    const result = await s.run(['install', '--project', path.join(s.project, 'nope')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^maestro: no such project directory: /);
  });

  it('keeps an executable source file executable', async () => {
    const s = setup();
    const script = path.join(s.pkg, 'skills', 'team-coordinate', 'scripts', 'run.sh');
    write(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o755);
    expect((await s.run(['install', '--claude'])).code).toBe(0);
    expect(
      statSync(path.join(s.project, '.claude', 'skills', 'team-coordinate', 'scripts', 'run.sh')).mode & 0o111,
    ).not.toBe(0);
  });
});

describe('the JSON and TOML edits (units)', () => {
  const value = { type: 'stdio', command: '/usr/bin/node', args: ['/x/main.js', 'mcp'] };
  it.each([
    ['{}', '{\n  "mcpServers": {\n    "maestro-tools": {'],
    ['{ }\n', '{\n  "mcpServers"'],
    ['{"a":1}', '{"a":1,"mcpServers":{"maestro-tools":{"type":"stdio"'],
    ['{"a": 1, "b": [1, {"c": "}"}]}', '{"a": 1, "b": [1, {"c": "}"}], "mcpServers": {"maestro-tools": {'],
    ['{\n  "mcpServers": {}\n}\n', '{\n  "mcpServers": {\n    "maestro-tools": {\n      "type": "stdio",'],
    [
      '{\n\t"mcpServers": {\n\t\t"x": {"command": "x"}\n\t},\n\t"z": null\n}',
      '\t\t"x": {"command": "x"},\n\t\t"maestro-tools": {',
    ],
    [
      '{\r\n  "mcpServers": {\r\n    "x": {}\r\n  }\r\n}\r\n',
      '    "x": {},\r\n    "maestro-tools": {\r\n      "type": "stdio",\r\n',
    ],
    [
      '\uFEFF{"projects": {"/p": {"mcpServers": {}}}, "mcpServers": {"y": {"command": "y"}}}',
      '"mcpServers": {"y": {"command": "y"}, "maestro-tools": {',
    ],
  ])('adds and removes mcpServers.maestro-tools in %j, restoring it exactly', async (text, expected) => {
    const { jsonSet, jsonRemove, jsonGet } = await import('../src/install/json-edit.js');
    const set = jsonSet(text, ['mcpServers'], 'maestro-tools', value);
    if (expected) expect(set.text).toContain(expected);
    const parsed = JSON.parse(set.text.replace(/^\uFEFF/, ''));
    expect(parsed.mcpServers['maestro-tools']).toEqual(value);
    expect(jsonGet(set.text, ['mcpServers'], 'maestro-tools')?.value).toEqual(value);
    const back = jsonRemove(set.text, ['mcpServers'], 'maestro-tools', {
      createdParents: set.createdParents,
      emptyInner: set.emptyInner,
    });
    expect(back).toBe(text);
  });

  it('gives Codex a tool_timeout_sec above the longest wait, and brings an older block up to date', async () => {
    const { upsertBlock } = await import('../src/install/codex-block.js');
    const { CODEX_TOOL_TIMEOUT_SEC } = await import('../src/agents/client-limits.js');
    const { WAIT_MAX_MS } = await import('../src/ops/agents/wait.js');
    expect(CODEX_TOOL_TIMEOUT_SEC * 1000).toBeGreaterThan(WAIT_MAX_MS);
    const server = { command: '/usr/bin/node', args: ['/x/main.js', 'mcp'] };
    const fresh = upsertBlock(undefined, server, '/p').text;
    expect(fresh).toContain(`\ntool_timeout_sec = ${CODEX_TOOL_TIMEOUT_SEC}\n`);
    // A block written by an older maestro, without the line (and one with a user's lower value).
    for (const old of [fresh.replace(/^tool_timeout_sec = .*\n/m, ''), fresh.replace(/= 3660/, '= 300')]) {
      const updated = upsertBlock(old, server, '/p');
      expect(updated.action).toBe('update');
      expect(updated.text).toBe(fresh);
    }
  });

  it('removes a member that is no longer the last one', async () => {
    const { jsonSet, jsonRemove } = await import('../src/install/json-edit.js');
    const set = jsonSet('{\n  "mcpServers": {\n    "a": 1\n  }\n}\n', ['mcpServers'], 'maestro-tools', value);
    const later = set.text.replace(/\n  }\n}\n$/, ',\n    "b": 2\n  }\n}\n');
    expect(jsonRemove(later, ['mcpServers'], 'maestro-tools', { createdParents: 0 })).toBe(
      '{\n  "mcpServers": {\n    "a": 1,\n    "b": 2\n  }\n}\n',
    );
  });

  it('keeps lines another tool put inside the Codex block, and additions to its entry while it stays', async () => {
    const { upsertBlock, removeOwner } = await import('../src/install/codex-block.js');
    const server = { command: 'node', args: ['m.js', 'mcp'] };
    const { text } = upsertBlock('model = "o3"\n', server, '/p');
    const intruded = text.replace(
      'tool_timeout_sec = 3660\n',
      'tool_timeout_sec = 3660\nenv = { MAESTRO_DB = "/db" }\n[mcp_servers.other]\ncommand = "o"\n',
    );
    const updated = upsertBlock(intruded, { ...server, args: ['n.js', 'mcp'] }, '/p');
    expect(updated.action).toBe('update');
    expect(updated.text).toContain('args = ["n.js", "mcp"]\n');
    expect(updated.text).toMatch(
      /tool_timeout_sec = 3660\nenv = \{ MAESTRO_DB = "\/db" \}\n# <<< maestro-tools <<<\n\[mcp_servers\.other\]\ncommand = "o"\n$/,
    );
    expect(upsertBlock(updated.text, { ...server, args: ['n.js', 'mcp'] }, '/p').action).toBe('unchanged');
    const removed = removeOwner(intruded, '/p');
    expect(removed?.text).toBe('model = "o3"\n[mcp_servers.other]\ncommand = "o"\n');
    expect(removed?.keptForeign).toBe(2);
    expect(removed?.droppedExtra).toEqual(['env = { MAESTRO_DB = "/db" }']);
  });

  it.each([
    [
      '[mcp_servers.maestro-tools]\ncommand = "node"\nargs = ["/m.js", "mcp"]\ndefault_tools_approval_mode = "approve"\n',
      true,
    ],
    ['[mcp_servers."maestro-tools"]\ncommand = \'node\'\nargs = [\n  "/m.js", # the server\n  "mcp",\n]\n', false],
    [
      '[mcp_servers]\nmaestro-tools = { command = "node", args = ["/m.js", "mcp"], tools = { team_msg = { approval_mode = "approve" } } }\n',
      true,
    ],
    ['mcp_servers.maestro-tools.command = "node"\nmcp_servers.maestro-tools.args = ["/m.js", "mcp"]\n', false],
    [
      'x = """\n[mcp_servers.other]\n"""\n[mcp_servers.maestro-tools]\ncommand = "node"\nargs = ["/m.js", "mcp"]\n',
      false,
    ],
  ])('reads a Codex server entry however it is spelled: %j', async (text, approves) => {
    const { readServer } = await import('../src/install/toml.js');
    expect(readServer(text, 'maestro-tools')).toMatchObject({ command: 'node', args: ['/m.js', 'mcp'], approves });
    expect(readServer(text, 'other')).toBeUndefined();
  });
});

describe('maestro install: --force on a fresh project', () => {
  it('uninstall puts back what --force replaced and removes every directory it made', async () => {
    const s = setup();
    write(path.join(s.project, '.claude', 'agents', 'team-worker.md'), 'mine\n');
    write(path.join(s.project, '.mcp.json'), '{"mcpServers":{"maestro-tools":{"command":"x"}}}');
    const before = snapshot(s.project);
    const forced = await s.run(['install', '--claude', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe('');
    expect(existsSync(path.join(s.project, '.maestro', 'install-backup', 'claude', 'agents', 'team-worker.md'))).toBe(
      true,
    );
    expect((await s.run(['uninstall'])).code).toBe(0);
    expect(snapshot(s.project)).toEqual(before);
  });

  it('removes a directory left empty when the package drops a skill', async () => {
    const s = setup();
    expect((await s.run(['install', '--codex'])).code).toBe(0);
    rmSync(path.join(s.pkg, 'skills', 'team-worker'), { recursive: true });
    const result = await s.run(['install', '--codex']);
    expect(lines(result.stdout).filter((l) => /^\w+ \./.test(l))).toEqual([
      'removed .agents/skills/team-worker/SKILL.md',
    ]);
    expect(result.stdout).not.toMatch(/per-user config/);
    expect(existsSync(path.join(s.project, '.agents', 'skills', 'team-worker'))).toBe(false);
    const manifest = readFileSync(path.join(s.project, '.maestro', 'install.json'), 'utf8');
    expect(manifest).not.toContain('team-worker');
  });
});
