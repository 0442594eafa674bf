/**
 * `maestro doctor` through the real binary: a good set-up (only ok and warn, exit 0) and broken
 * ones — a stale skill copy, a registration pointing at a missing file, a data directory that
 * cannot be written — each a `fail` line with its hint and exit 1. Temporary HOME and project;
 * a fake package (MAESTRO_PACKAGE_ROOT) provides the skills.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { maestro, type CliResult } from './helpers/cli.js';
import { CLI, ROOT } from './helpers/paths.js';
import { maestroOnPath } from './helpers/maestro-bin.js';
import { tempDir } from './helpers/temp.js';

const BIN = path.join(ROOT, 'node_modules', '.bin');

function write(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

interface Setup {
  home: string;
  project: string;
  pkg: string;
  env: Record<string, string | undefined>;
  run(args: string[]): Promise<CliResult>;
}

function setup(): Setup {
  const home = tempDir('maestro-home-');
  const project = tempDir('maestro-proj-');
  execFileSync('git', ['init', '-q'], { cwd: project });
  const pkg = tempDir('maestro-pkg-');
  write(
    path.join(pkg, 'skills', 'team-coordinate', 'SKILL.md'),
    '---\nname: team-coordinate\n---\nmcp__maestro-tools__team_msg\n',
  );
  write(path.join(pkg, 'skills', 'team-coordinate', 'roles', 'worker.md'), 'work\n');
  write(path.join(pkg, '.claude', 'commands', 'team-coordinate.md'), 'command\n');
  write(path.join(pkg, '.claude', 'agents', 'team-worker.md'), 'agent\n');
  const env = {
    HOME: home,
    CODEX_HOME: undefined,
    CLAUDE_CONFIG_DIR: undefined,
    MAESTRO_PACKAGE_ROOT: pkg,
    // The devDependencies' claude and codex, so their version checks run too.
    PATH: [maestroOnPath(), BIN, process.env.PATH].join(path.delimiter),
  };
  return { home, project, pkg, env, run: (args) => maestro(args, { env, cwd: project }) };
}

interface Line {
  status: string;
  name: string;
  rest: string;
}

function parseLines(stdout: string): Line[] {
  return stdout.split('\n').map((line) => {
    const match = /^(ok|warn|fail)\s+(\S+(?: mcp| skills| agents)?)\s+(.*)$/.exec(line);
    expect(match, `doctor line: ${line}`).not.toBeNull();
    return { status: match![1]!, name: match![2]!, rest: match![3]! };
  });
}

/** What Claude Code records when the user trusts the folder and approves the project's server. */
function approveInClaude(s: Setup, settings: object = { enabledMcpjsonServers: ['maestro-tools'] }): void {
  write(
    path.join(s.home, '.claude.json'),
    JSON.stringify({ projects: { [s.project]: { hasTrustDialogAccepted: true } } }),
  );
  write(path.join(s.project, '.claude', 'settings.local.json'), JSON.stringify(settings));
}

/** What Codex records when the user trusts the project (it reads .codex/config.toml only then). */
function trustInCodex(s: Setup): void {
  const config = path.join(s.home, '.codex', 'config.toml');
  writeFileSync(
    config,
    `[projects.${JSON.stringify(s.project)}]\ntrust_level = "trusted"\n${readFileSync(config, 'utf8')}`,
  );
}

const NAMES = [
  'node',
  'database',
  'claude',
  'codex',
  'claude mcp',
  'codex mcp',
  'claude skills',
  'codex skills',
  'codex agents',
];

describe('maestro doctor', () => {
  it('on a good set-up: every line ok or warn, exit 0', async () => {
    const s = setup();
    expect((await s.run(['install'])).code).toBe(0);
    trustInCodex(s);
    approveInClaude(s);
    const result = await s.run(['doctor']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const checks = parseLines(result.stdout);
    expect(checks.map((c) => c.name)).toEqual(NAMES);
    expect(
      checks.every((c) => c.status === 'ok'),
      result.stdout,
    ).toBe(true);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c.rest]));
    expect(byName.node).toBe(`Node.js ${process.version}`);
    expect(byName.database).toBe(`${path.join(s.project, '.maestro')} is writable`);
    expect(byName.claude).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\) \(/);
    expect(byName.codex).toMatch(/^codex-cli \d+\.\d+\.\d+ \(/);
    expect(byName['claude mcp']).toBe('maestro-tools in .mcp.json: maestro mcp');
    expect(byName['codex mcp']).toBe(`maestro-tools in ~/.codex/config.toml: ${process.execPath} ${CLI} mcp`);
    expect(byName['claude skills']).toBe('team-coordinate current in .claude/skills (project)');
    expect(byName['codex skills']).toBe('team-coordinate current in .agents/skills (project)');
    expect(byName['codex agents']).toBe(
      "off in this project: Codex's model sees maestro's spawn_agent, wait_agent, … only",
    );

    const json = JSON.parse((await s.run(['doctor', '--json'])).stdout);
    expect(json.ok).toBe(true);
    expect(json.project).toBe(s.project);
    expect(json.checks.map((c: { name: string }) => c.name)).toEqual(NAMES);
  });

  it('with nothing installed and no clients on PATH: warnings with hints, exit 0', async () => {
    const s = setup();
    s.env.PATH =
      path.dirname(process.execPath) === '/usr/bin'
        ? '/usr/bin:/bin'
        : `${path.dirname(process.execPath)}:/usr/bin:/bin`;
    const result = await s.run(['doctor']);
    expect(result.code).toBe(0);
    const checks = parseLines(result.stdout);
    expect(checks.filter((c) => c.status === 'warn').map((c) => c.name)).toEqual(
      expect.arrayContaining(['claude mcp', 'codex mcp', 'claude skills', 'codex skills']),
    );
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    if (byName.claude!.status === 'warn') {
      expect(byName.claude!.rest).toBe('claude (Claude Code) not found on PATH  → npm i -g @anthropic-ai/claude-code');
    }
    if (byName.codex!.status === 'warn') {
      expect(byName.codex!.rest).toBe('codex (Codex) not found on PATH  → npm i -g @openai/codex');
    }
    expect(byName['claude skills']!.rest).toBe('not installed (team-coordinate)  → run maestro install --claude');
    expect(byName['codex mcp']!.rest).toBe(
      'no maestro-tools server registered for Codex  → run maestro install --codex',
    );
  });

  it('a copy the user edited is reported as changed locally, not broken; a stale copy fails', async () => {
    const s = setup();
    expect((await s.run(['install', '--user'])).code).toBe(0);
    write(path.join(s.home, '.agents', 'skills', 'team-coordinate', 'roles', 'worker.md'), 'my own\n');
    const result = await s.run(['doctor']);
    expect(result.code).toBe(0);
    const line = result.stdout.split('\n').find((l) => l.includes('codex skills'));
    expect(line).toBe(
      'ok    codex skills   team-coordinate current in ~/.agents/skills (user), changed locally: ' +
        "~/.agents/skills/team-coordinate/roles/worker.md (yours: install keeps it; --force takes maestro's)",
    );
    expect(result.stdout).toMatch(/^ok {4}claude skills +team-coordinate current in ~\/\.claude\/skills \(user\)$/m);

    // A copy that is not what maestro wrote and not recorded either: someone else's, it differs.
    rmSync(path.join(s.home, '.maestro'), { recursive: true });
    const unrecorded = await s.run(['doctor']);
    expect(unrecorded.code).toBe(1);
    expect(unrecorded.stdout).toMatch(
      /^fail  codex skills   ~\/\.agents\/skills\/team-coordinate\/roles\/worker\.md differs from the package's copy  → run maestro install --codex --user --force \(/m,
    );
    expect((await s.run(['install', '--user', '--force'])).code).toBe(0);

    // A newer package makes the installed copies stale.
    write(path.join(s.pkg, '.claude', 'agents', 'team-worker.md'), 'agent, improved\n');
    const newer = await s.run(['doctor', '--json']);
    expect(newer.code).toBe(1);
    const claude = JSON.parse(newer.stdout).checks.find((c: { name: string }) => c.name === 'claude skills');
    expect(claude).toMatchObject({
      status: 'fail',
      message: "~/.claude/agents/team-worker.md differs from the package's copy",
    });
  });

  it('an installed copy that was deleted fails too', async () => {
    const s = setup();
    expect((await s.run(['install', '--claude'])).code).toBe(0);
    rmSync(path.join(s.project, '.claude', 'commands', 'team-coordinate.md'));
    const result = await s.run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^fail  claude skills  \.claude\/commands\/team-coordinate\.md is missing  → run maestro install --claude$/m,
    );
    expect(result.stdout).toMatch(/^warn  codex skills   not installed/m);
  });

  it('a registration pointing at a missing file fails, for Claude Code and for Codex', async () => {
    const s = setup();
    const missing = path.join(s.project, 'gone', 'dist', 'bin', 'main.js');
    write(
      path.join(s.project, '.mcp.json'),
      JSON.stringify({ mcpServers: { 'maestro-tools': { command: process.execPath, args: [missing, 'mcp'] } } }),
    );
    write(
      path.join(s.home, '.codex', 'config.toml'),
      `[mcp_servers.maestro-tools]\ncommand = "node"\nargs = [${JSON.stringify(missing)}, "mcp"]\ndefault_tools_approval_mode = "approve"\n`,
    );
    const result = await s.run(['doctor']);
    expect(result.code).toBe(1);
    const checks = parseLines(result.stdout);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['claude mcp']).toEqual({
      status: 'fail',
      name: 'claude mcp',
      rest:
        `maestro-tools in .mcp.json cannot start: ${missing} does not exist` +
        "  → run maestro install --claude to register this installation (--force if that entry is not maestro's)",
    });
    expect(byName['codex mcp']!.status).toBe('fail');
    expect(byName['codex mcp']!.rest).toMatch(
      new RegExp(
        `^maestro-tools in ~/.codex/config.toml cannot start: ${missing.replace(/[.]/g, '\\.')} does not exist  → run maestro install --codex`,
      ),
    );
  });

  it('a registration whose command is not found fails; a user-level one is checked too', async () => {
    const s = setup();
    write(
      path.join(s.home, '.claude.json'),
      JSON.stringify({ mcpServers: { 'maestro-tools': { type: 'stdio', command: 'no-such-maestro', args: ['mcp'] } } }),
    );
    const result = await s.run(['doctor', '--json']);
    expect(result.code).toBe(1);
    const check = JSON.parse(result.stdout).checks.find((c: { name: string }) => c.name === 'claude mcp');
    expect(check).toMatchObject({
      status: 'fail',
      message: 'maestro-tools in ~/.claude.json (user) cannot start: its command no-such-maestro is not found',
    });
  });

  it('a Codex entry without tool approval is a warning', async () => {
    const s = setup();
    write(
      path.join(s.home, '.codex', 'config.toml'),
      `[mcp_servers.maestro-tools]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(CLI)}, "mcp"]\n`,
    );
    const result = await s.run(['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^warn  codex mcp .*its tools need approval/m);
  });

  it('a Codex entry without a tool_timeout_sec above the longest wait is a warning, with the fix', async () => {
    const s = setup();
    const entry = `[mcp_servers.maestro-tools]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(CLI)}, "mcp"]\ndefault_tools_approval_mode = "approve"\n`;
    const config = path.join(s.home, '.codex', 'config.toml');
    write(config, entry);
    const missing = await s.run(['doctor']);
    expect(missing.code).toBe(0);
    expect(missing.stdout).toMatch(
      /^warn  codex mcp .*has no tool_timeout_sec \(Codex: 300 s\): Codex ends a wait_agent longer than that.*→ run maestro install --codex, or set tool_timeout_sec = 3660/m,
    );
    write(config, `${entry}tool_timeout_sec = 3600\n`);
    expect((await s.run(['doctor'])).stdout).toMatch(/^warn  codex mcp .*has tool_timeout_sec = 3600:/m);
    write(config, `${entry}tool_timeout_sec = 3660\n`);
    expect((await s.run(['doctor'])).stdout).toMatch(/^ok {4}codex mcp /m);
  });

  it("tells whether Codex's own multi-agent tools are on in the project, as Codex itself sees it", async () => {
    const s = setup();
    const line = async () => (await s.run(['doctor'])).stdout.split('\n').find((l) => l.includes('codex agents'));
    expect(await line()).toBe(
      "warn  codex agents   multi_agent on: Codex's own spawn_agent, wait_agent, … sit beside maestro's " +
        "(the skill tells the model to use maestro's)  → run maestro install --codex (turns them off in " +
        '.codex/config.toml), or add multi_agent = false to its [features]',
    );
    expect((await s.run(['install', '--codex'])).code).toBe(0);
    // Installed, but Codex ignores a project's .codex/config.toml until the project is trusted.
    expect(await line()).toMatch(
      new RegExp(
        `^warn  codex agents   multi_agent on: .*; \\.codex/config\\.toml turns them off, but Codex reads it only in a project you trust  → start codex in ${s.project} and trust it`,
      ),
    );
    trustInCodex(s);
    expect(await line()).toMatch(/^ok {4}codex agents   off in this project/);
    // The user's own choice elsewhere is reported, not changed.
    const other = tempDir('maestro-other-');
    const elsewhere = await maestro(['doctor', '--project', other], { env: s.env, cwd: other });
    expect(elsewhere.stdout).toMatch(/^warn  codex agents   multi_agent on/m);
  });

  it("reads Claude Code's approval of the project's server as Claude Code does, and says how to approve", async () => {
    const s = setup();
    expect((await s.run(['install', '--claude'])).code).toBe(0);
    const claudeEnv = {
      ...s.env,
      ANTHROPIC_API_KEY: 'sk-ant-scripted',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    };
    // Claude Code's own verdict, offline, in the same home and project.
    const claudeSays = async () => {
      const { stdout } = await execa(path.join(BIN, 'claude'), ['mcp', 'list'], {
        cwd: s.project,
        env: claudeEnv,
        extendEnv: false,
        reject: false,
        timeout: 120_000,
      });
      const line = stdout.split('\n').find((l) => l.startsWith('maestro-tools:'));
      return line === undefined ? 'disabled' : /Pending approval/.test(line) ? 'pending' : 'approved';
    };
    const doctorSays = async () => {
      const out = (await s.run(['doctor'])).stdout.split('\n').find((l) => l.includes('claude mcp'))!;
      return {
        line: out,
        state: /disabled in/.test(out) ? 'disabled' : /pending approval/.test(out) ? 'pending' : 'approved',
      };
    };
    const local = path.join(s.project, '.claude', 'settings.local.json');
    const userJson = path.join(s.home, '.claude.json');
    const states: [string, () => void, string][] = [
      ['nothing approved', () => undefined, 'pending'],
      [
        'approved in settings.local.json, folder not trusted',
        () => write(local, '{"enabledMcpjsonServers":["maestro-tools"]}'),
        'pending',
      ],
      [
        'and the folder trusted',
        () => write(userJson, JSON.stringify({ projects: { [s.project]: { hasTrustDialogAccepted: true } } })),
        'approved',
      ],
      [
        'disabled in settings.local.json',
        () => write(local, '{"disabledMcpjsonServers":["maestro-tools"]}'),
        'disabled',
      ],
      [
        'all project servers approved by the user settings',
        () => (
          rmSync(local),
          rmSync(userJson),
          write(path.join(s.home, '.claude', 'settings.json'), '{"enableAllProjectMcpServers":true}')
        ),
        'approved',
      ],
    ];
    for (const [label, arrange, expected] of states) {
      arrange();
      const doctor = await doctorSays();
      expect(doctor.state, `${label}: ${doctor.line}`).toBe(expected);
      expect(await claudeSays(), label).toBe(expected);
      if (expected === 'approved') expect(doctor.line, label).toMatch(/^ok /);
      else expect(doctor.line, label).toMatch(/^warn /);
    }
  }, 300_000);

  it('a pending project server is a warning that says how to approve it', async () => {
    const s = setup();
    expect((await s.run(['install', '--claude'])).code).toBe(0);
    const result = await s.run(['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^warn  claude mcp .*, but Claude Code has not approved it yet \\('claude mcp list': pending approval\\)  → start claude in ${s.project} and approve maestro-tools when asked, or add "enabledMcpjsonServers": \\["maestro-tools"\\] to \\.claude/settings\\.local\\.json`,
        'm',
      ),
    );
    write(path.join(s.project, '.claude', 'settings.local.json'), '{"enabledMcpjsonServers":["maestro-tools"]}');
    expect((await s.run(['doctor'])).stdout).toMatch(
      /^warn  claude mcp .*approved in \.claude\/settings\.local\.json, but Claude Code does not trust this folder yet: pending approval  → start claude in .* once and accept the trust dialog$/m,
    );
  });

  it('warns about a shared .mcp.json that names a path outside the project or in a temporary directory', async () => {
    const s = setup();
    // What an older maestro wrote: this machine's node and the install's own main.js.
    write(
      path.join(s.project, '.mcp.json'),
      JSON.stringify({ mcpServers: { 'maestro-tools': { command: process.execPath, args: [CLI, 'mcp'] } } }),
    );
    const outside = (await s.run(['doctor'])).stdout.split('\n').find((l) => l.includes('claude mcp'));
    expect(outside).toMatch(
      new RegExp(
        `^warn  claude mcp .*, but \\.mcp\\.json names ${process.execPath}, outside the project: teammates who share the file cannot start it  → put maestro on the PATH`,
      ),
    );
    const temp = path.join(tempDir('maestro-npx-'), 'main.js');
    write(temp, '');
    write(
      path.join(s.project, '.mcp.json'),
      JSON.stringify({ mcpServers: { 'maestro-tools': { command: 'node', args: [temp, 'mcp'] } } }),
    );
    expect((await s.run(['doctor'])).stdout).toMatch(
      new RegExp(`^warn  claude mcp .*names ${temp}, in a temporary directory:`, 'm'),
    );
    // A path inside the project is shared with it.
    write(path.join(s.project, 'bin', 'main.js'), '');
    write(
      path.join(s.project, '.mcp.json'),
      JSON.stringify({ mcpServers: { 'maestro-tools': { command: 'node', args: ['bin/main.js', 'mcp'] } } }),
    );
    expect((await s.run(['doctor'])).stdout).not.toMatch(/names .*teammates/);
  });

  it('a data directory that cannot be written fails, with the hint (MAESTRO_DB honoured)', async () => {
    const s = setup();
    const blocker = path.join(s.project, 'not-a-dir');
    write(blocker, 'a file\n');
    s.env.MAESTRO_DB = path.join(blocker, 'data', 'maestro.db');
    const result = await s.run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').find((l) => l.includes('database'))).toBe(
      `fail  database       cannot create ${path.join(blocker, 'data')} (from MAESTRO_DB): ${blocker} is not a directory` +
        '  → make it writable, or set MAESTRO_DB to a file in a writable directory',
    );
  });

  it.skipIf(process.getuid?.() === 0)('a read-only data directory fails (not as root)', async () => {
    const s = setup();
    const dir = path.join(s.project, '.maestro');
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    try {
      const result = await s.run(['doctor']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^fail  database +cannot write .*\.maestro: EACCES/m);
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it('a usage error exits 2', async () => {
    const s = setup();
    expect((await s.run(['doctor', '--bogus'])).code).toBe(2);
    expect((await s.run(['doctor', 'extra'])).code).toBe(2);
  });
});
