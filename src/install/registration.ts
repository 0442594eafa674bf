/**
 * The `maestro-tools` server entry each client gets — `node <this package>/dist/bin/main.js mcp`,
 * the command that runs this installation — and the check that an entry found in a config
 * still points at something that exists.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { serverCommand } from '../package-root.js';
import type { CodexServer } from './codex-block.js';

export { SERVER_NAME } from './codex-block.js';

export interface ClaudeServer {
  type: 'stdio';
  command: string;
  args: string[];
}

export function claudeServer(): ClaudeServer {
  const { command, args } = serverCommand();
  return { type: 'stdio', command, args };
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
