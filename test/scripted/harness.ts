/**
 * Test harness for driving the real Claude Code and Codex CLIs against the scripted servers:
 * paths, the maestro MCP server config, spawning with JSON-line capture, and `next()` to read
 * the output as a queue.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATIENCE } from '../helpers/patience.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLAUDE = path.join(ROOT, 'node_modules/.bin/claude');
export const CODEX = path.join(ROOT, 'node_modules/.bin/codex');
export const MAESTRO = path.join(ROOT, 'dist/bin/main.js');
export const RECORDED = path.join(ROOT, 'test/fixtures/recorded');

/** Where a test keeps its files; removed by `cleanup`. */
export function scratch(prefix = 'maestro-scripted-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The maestro MCP server as a stdio server spec (same shape for Claude's mcpServers and Codex's mcp_servers). */
export function maestroServer(db: string): { command: string; args: string[]; env: Record<string, string> } {
  return { command: process.execPath, args: [MAESTRO, 'mcp'], env: { MAESTRO_DB: db, MAESTRO_LOG_FILE: `${db}.log` } };
}

export function claudeMcpConfig(db: string): string {
  return JSON.stringify({ mcpServers: { 'maestro-tools': { type: 'stdio', ...maestroServer(db) } } });
}

/**
 * `-c` overrides that give Codex the maestro server without touching any config file. `required`
 * makes codex wait for the server before the first model request (otherwise a server slower than
 * about a second to start is left out of that request's tools).
 */
export function codexMcpOverrides(db: string, extra: Record<string, string> = {}): string[] {
  const server = maestroServer(db);
  const env = Object.entries({ ...server.env, ...extra })
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return [
    '-c',
    `mcp_servers.maestro-tools.command=${JSON.stringify(server.command)}`,
    '-c',
    `mcp_servers.maestro-tools.args=${JSON.stringify(server.args)}`,
    '-c',
    `mcp_servers.maestro-tools.env={ ${env} }`,
    '-c',
    'mcp_servers.maestro-tools.required=true',
  ];
}

/** `maestro msg list` as JSON lines of the session's messages. */
export function busMessages(db: string, session: string): Array<Record<string, unknown>> {
  const out = execFileSync(process.execPath, [MAESTRO, 'msg', 'list', '-s', session, '--db', db, '--json'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
  });
  const parsed = JSON.parse(out);
  return Array.isArray(parsed) ? parsed : parsed.messages;
}

export type Line = Record<string, any>;

export interface Run {
  proc: ChildProcessWithoutNullStreams;
  /** Every stdout line parsed as JSON (non-JSON lines kept as `{raw}`), with arrival time. */
  lines: Line[];
  times: number[];
  stdout(): string;
  stderr(): string;
  startedAt: number;
  /** Started in a process group of its own. */
  detached: boolean;
  /** The next line (after the last one `next` returned) satisfying `test`. */
  next(test: (l: Line) => boolean, timeoutMs?: number): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  write(obj: unknown): void;
}

/** `detached` puts the process in a group of its own, so `stop` can kill it with all its descendants. */
export function run(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; detached?: boolean },
): Run {
  const startedAt = Date.now();
  const proc = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: 'pipe', detached: options.detached });
  const lines: Line[] = [];
  const times: number[] = [];
  let out = '';
  let err = '';
  let buffer = '';
  let cursor = 0;
  const listeners = new Set<() => void>();
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!text) continue;
      let line: Line;
      try {
        line = JSON.parse(text);
      } catch {
        line = { raw: text };
      }
      lines.push(line);
      times.push(Date.now() - startedAt);
    }
    for (const l of [...listeners]) l();
  });
  proc.stderr.on('data', (chunk: Buffer) => void (err += chunk));
  proc.stdin.on('error', () => {}); // writes after exit
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => {
      for (const l of [...listeners]) l();
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    lines,
    times,
    startedAt,
    detached: options.detached ?? false,
    stdout: () => out,
    stderr: () => err,
    exited,
    write: (obj) => void proc.stdin.write(`${JSON.stringify(obj)}\n`),
    next(test, timeoutMs = 20_000) {
      const patient = timeoutMs * PATIENCE;
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = cursor; i < lines.length; i++)
            if (test(lines[i]!)) {
              cursor = i + 1;
              done();
              resolve(lines[i]!);
              return;
            }
          if (proc.exitCode !== null || proc.signalCode !== null) {
            done();
            reject(new Error(`process ended before the expected line; stderr: ${err.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`no expected line within ${patient} ms; got ${lines.length} lines; stderr: ${err.slice(-2000)}`),
          );
        }, patient);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** A user line for Claude's stream-json input. */
export function userLine(text: string): Line {
  return { type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: 'default' };
}

export const CLAUDE_STREAM_ARGS = [
  '-p',
  '--input-format',
  'stream-json',
  '--output-format',
  'stream-json',
  '--verbose',
];

/**
 * Writes a recording to test/fixtures/recorded/ when it is missing or MAESTRO_RECORD=1, with
 * temporary paths replaced by placeholders (`{"<cwd>": dir}`) so re-recording gives small diffs.
 */
export function record(name: string, text: string, placeholders: Record<string, string> = {}): void {
  const file = path.join(RECORDED, name);
  if (existsSync(file) && process.env.MAESTRO_RECORD !== '1') return;
  let out = text;
  for (const [label, value] of Object.entries(placeholders)) out = out.split(value).join(label);
  mkdirSync(RECORDED, { recursive: true });
  writeFileSync(file, out);
}

/** Live pids whose command line contains `needle` (to check that child servers went away). */
export function pidsWith(needle: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter(
      (m): m is RegExpExecArray => !!m && !m[2]!.startsWith('Z') && m[3]!.includes(needle) && !m[3]!.startsWith('ps '),
    )
    .map((m) => Number(m[1]));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Kills a still-running process (its group if it has one of its own) and waits, at most 5 s, for its pipes to close. */
export async function stop(r: Run): Promise<void> {
  if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  if (r.detached) {
    try {
      process.kill(-r.proc.pid!, 'SIGKILL');
    } catch {
      // no such group: not detached, or already gone
    }
  }
  await Promise.race([r.exited, sleep(5000)]);
}
