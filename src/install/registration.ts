/**
 * The `maestro-tools` server entry each client gets — for a per-user registration
 * `node <this package>/dist/bin/main.js mcp`, the command that runs this installation; for a
 * project's shared `.mcp.json` a command that works on a teammate's machine too — and the checks
 * that an entry found in a config still points at something that exists and lasts.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serverCommand } from '../package-root.js';
import type { CodexServer } from './codex-block.js';

export { SERVER_NAME } from './codex-block.js';

export interface ClaudeServer {
  type: 'stdio';
  command: string;
  args: string[];
}

/** The per-user registration (`--user`, Codex's config.toml): this installation, by absolute path. */
export function claudeServer(): ClaudeServer {
  const { command, args } = serverCommand();
  return { type: 'stdio', command, args };
}

export interface PortableChoice {
  /** Where this installation lives, and its built `maestro` command. */
  packageRoot: string;
  bin: string;
  version: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const realpath = (file: string) => {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
};

/**
 * The entry for a project's `.mcp.json`, which teammates share: `maestro mcp` when `maestro` on
 * the PATH is this very installation, `npx -y maestro-tools@<version> mcp` when this is an
 * installed copy of the published package (a node_modules folder, npx's cache included);
 * otherwise (a source checkout) this machine's absolute paths, `portable: false`.
 */
export function projectServer(c: PortableChoice): { server: ClaudeServer; portable: boolean } {
  const onPath = resolveCommand('maestro', c.cwd, c.env);
  if (onPath !== undefined && realpath(onPath) === realpath(c.bin)) {
    return { server: { type: 'stdio', command: 'maestro', args: ['mcp'] }, portable: true };
  }
  if (realpath(c.packageRoot).split(path.sep).includes('node_modules')) {
    return {
      server: { type: 'stdio', command: 'npx', args: ['-y', `maestro-tools@${c.version}`, 'mcp'] },
      portable: true,
    };
  }
  return { server: claudeServer(), portable: false };
}

/** Why a path will not last or is not shared: in a temporary directory or npx's cache. */
export function volatilePath(file: string, tmp = tmpdir()): string | undefined {
  const resolved = realpath(file);
  if (resolved.split(path.sep).includes('_npx')) return "in npx's cache, which npm clears";
  const temp = realpath(tmp);
  const rel = path.relative(temp, resolved);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return 'in a temporary directory';
  return undefined;
}

/** The file paths an entry names: its command when it is a path, and its arguments that are paths. */
export function entryPaths(entry: { command?: unknown; args?: unknown }, cwd: string): string[] {
  const items = [entry.command, ...(Array.isArray(entry.args) ? entry.args : [])];
  return items
    .filter(
      (a): a is string => typeof a === 'string' && (a.includes('/') || a.includes(path.sep)) && !a.includes('://'),
    )
    .filter((a) => !a.startsWith('-') && !/^[\w.-]+@/.test(a))
    .map((a) => path.resolve(cwd, a));
}

export function codexServer(): CodexServer {
  return serverCommand();
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `command` as the client would find it: a path, or a name looked up on PATH. */
export function resolveCommand(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (command.includes('/') || command.includes(path.sep)) {
    const file = path.resolve(cwd, command);
    return isExecutableFile(file) ? file : undefined;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/**
 * What is wrong with a registration, or undefined if it can start: the command must exist, and
 * when it is node, the script it is given must too. Relative paths count from `cwd`.
 */
export function registrationProblem(
  entry: { command?: unknown; args?: unknown },
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (typeof entry.command !== 'string' || entry.command === '') return 'it has no command';
  if (!resolveCommand(entry.command, cwd, env)) return `its command ${entry.command} is not found`;
  const args = Array.isArray(entry.args) ? entry.args.filter((a): a is string => typeof a === 'string') : [];
  const base = path.basename(entry.command).replace(/\.exe$/i, '');
  if (base === 'node' || base.startsWith('node')) {
    const script = args.find((a) => !a.startsWith('-'));
    if (script !== undefined) {
      try {
        if (!statSync(path.resolve(cwd, script)).isFile()) return `${script} is not a file`;
      } catch {
        return `${path.resolve(cwd, script)} does not exist`;
      }
    }
  }
  return undefined;
}

export function describeEntry(entry: { command?: unknown; args?: unknown }): string {
  const args = Array.isArray(entry.args) ? entry.args.map(String) : [];
  return [String(entry.command ?? '?'), ...args].join(' ');
}
