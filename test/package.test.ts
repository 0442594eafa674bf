/**
 * The npm package ships what runs and nothing else: the bundled command, the skills and the
 * Claude Code files install copies, the README. Unpacked on its own (beside the dependencies an
 * install brings), it answers --help and runs the whole demo.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { tempDir } from './helpers/temp.js';

interface PackedFile {
  path: string;
  size: number;
}

const SHIPPED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^dist\/bin\/[\w-]+\.js$/,
  /^dist\/ui\/(index\.html|app\.js|app\.css|favicon\.svg)$/,
  /^skills\/.+\.md$/,
  /^\.claude\/(commands|agents)\/[\w-]+\.md$/,
];

function packedFiles(): PackedFile[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out) as { files: PackedFile[] }[])[0]!.files;
}

describe('the npm package', () => {
  it('holds only the bundled command, the skills, the Claude Code files and the README: no sources, maps or tests', () => {
    const files = packedFiles();
    const strays = files.map((f) => f.path).filter((p) => !SHIPPED.some((pattern) => pattern.test(p)));
    expect(strays).toEqual([]);
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/bin/main.js');
    expect(paths).toContain('skills/team-coordinate/SKILL.md');
    expect(paths).toContain('.claude/commands/team-coordinate.md');
    // Every chunk the bundle loads is in it, and every chunk in it is one the bundle has.
    const chunks = readdirSync(path.join(ROOT, 'dist/bin')).filter((f) => f.endsWith('.js'));
    expect(paths.filter((p) => p.startsWith('dist/bin/')).sort()).toEqual(chunks.map((c) => `dist/bin/${c}`).sort());
    // The dashboard's page, built, so `maestro ui` works offline from the package alone.
    expect(paths.filter((p) => p.startsWith('dist/ui/')).sort()).toEqual([
      'dist/ui/app.css',
      'dist/ui/app.js',
      'dist/ui/favicon.svg',
      'dist/ui/index.html',
    ]);
  });

  it('unpacked on its own, answers --help and runs the demo to its report', async () => {
    const dir = tempDir('maestro-package-');
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    execFileSync('tar', ['-xzf', tarball], { cwd: dir });
    const unpacked = path.join(dir, 'package');
    expect(existsSync(path.join(unpacked, 'src'))).toBe(false);
    // What `npm install maestro-tools` would put beside it: the dependencies (and, here, the
    // Claude Code CLI the demo drives, which a user has on their PATH).
    mkdirSync(path.join(unpacked, 'node_modules'));
    for (const entry of readdirSync(path.join(ROOT, 'node_modules')))
      symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(unpacked, 'node_modules', entry));
    const bin = path.join(unpacked, 'dist/bin/main.js');
    const env = { PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`, HOME: dir, TZ: 'UTC' };

    const help = await execa(process.execPath, [bin, '--help'], { env, extendEnv: false, reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^  demo +Watch 'maestro team' run/m);

    const demo = await execa(process.execPath, [bin, 'demo'], {
      env: { ...env, NO_COLOR: '1' },
      extendEnv: false,
      cwd: dir,
      reject: false,
    });
    expect(demo.exitCode, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(
      /agents +5: lead shutdown, SUPERVISOR shutdown, PLAN-001 shutdown, IMPL-001 shutdown, TEST-001 shutdown/,
    );
    expect(demo.stdout).toContain('processes left behind: 0');

    // `maestro ui` serves its page and script from the package.
    const project = path.join(dir, 'project');
    mkdirSync(project);
    execFileSync('git', ['init', '-q'], { cwd: project });
    await execa(process.execPath, [bin, 'msg', 'log', '-s', 'PKG', 'hello'], { env, extendEnv: false, cwd: project });
    const ui = execa(process.execPath, [bin, 'ui', '--no-open'], {
      env,
      extendEnv: false,
      cwd: project,
      reject: false,
    });
    try {
      const url = await new Promise<string>((resolve) =>
        ui.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk).split('\n')[0]!)),
      );
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/app.js?token=');
      const script = await fetch(url.replace('/?token=', '/app.js?token='));
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await script.text()).length).toBeGreaterThan(1000);
    } finally {
      ui.kill('SIGTERM');
      await ui;
    }
  }, 300_000);
});
