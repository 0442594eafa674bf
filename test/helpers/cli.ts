/** Runs the real `maestro` binary (the built CLI) with a controlled environment. */
import { execa, type ResultPromise } from 'execa';
import { CLI } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  // Strip anything from the developer's shell that would change behaviour.
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TZ: 'UTC',
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    MAESTRO_DB: undefined,
    MAESTRO_SESSION: undefined,
    ...extra,
  };
}

export async function maestro(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    env: cliEnv(options.env),
    extendEnv: false,
    cwd: options.cwd,
    reject: false,
    stripFinalNewline: true,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function spawnMaestro(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): ResultPromise {
  return execa(process.execPath, [CLI, ...args], {
    env: cliEnv(options.env),
    extendEnv: false,
    cwd: options.cwd,
    reject: false,
    buffer: false,
  });
}
