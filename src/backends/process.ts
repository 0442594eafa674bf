/**
 * Worker processes: started in their own process group (so a stop reaches everything they
 * started), read line by line with a bound on memory, and stopped politely first and by
 * SIGKILL to the whole group after a grace period. A process has ended when it has exited and
 * what it wrote has been read, whoever else still holds its stdout.
 */
import { execa } from 'execa';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupAlive } from '../agents/liveness.js';

/** Longer lines are cut: a worker cannot make the server hold an unbounded line. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
const STDERR_TAIL_LINES = 20;
/** After the worker exits, its stdout is read until it closes or has been quiet this long … */
const DRAIN_QUIET_MS = 100;
/** … and never longer than this (a child it left may keep writing). */
const DRAIN_MAX_MS = 2000;

export interface Exit {
  code: number | null;
  signal: string | null;
  /** Why the process could not start or run (ENOENT …), if that is what happened. */
  error: string | null;
}

export interface ChildProcessHandle {
  readonly pid: number | undefined;
  write(line: string): boolean;
  closeStdin(): void;
  running(): boolean;
  /** The last lines of stderr, for error messages. */
  stderrTail(): string;
  readonly exited: Promise<Exit>;
  signalGroup(signal: NodeJS.Signals): void;
  /** `politely` first (close stdin, SIGTERM …), then SIGKILL to the group after `graceMs`. */
  stop(graceMs: number, politely: () => void): Promise<Exit>;
}

export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let pending = '';
  let skipping = false;
  return {
    push(chunk) {
      pending += chunk.toString('utf8');
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (skipping) skipping = false;
        else onLine(line.replace(/\r$/, ''));
      }
      if (pending.length > MAX_LINE_BYTES) {
        onLine(`${pending.slice(0, 200)}… [line cut at ${MAX_LINE_BYTES} bytes]`);
        pending = '';
        skipping = true;
      }
    },
    end() {
      if (pending && !skipping) onLine(pending);
      pending = '';
    },
  };
}

/**
 * What a worker prints is not trusted: a line is read as JSON only when it is an object, and
 * each field as the type it should have or not at all. A `null` line or an object where text
 * belongs must not throw in a stream handler (that would end the server) nor reach the database.
 */
export function jsonObject(line: string): Record<string, unknown> | null {
  try {
    return asObject(JSON.parse(line));
  } catch {
    return null;
  }
}

export function asObject(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

export function asText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function startProcess(
  argv: string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    onStdoutLine: (line: string) => void;
    stdin: 'pipe' | 'ignore';
    /** After the process itself exits, what it left running in its group is stopped: this long before SIGKILL. */
    leftoverGraceMs: number;
  },
): ChildProcessHandle {
  const [file, ...args] = argv;
  const child = execa(file!, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    detached: true, // own process group: the group id is the pid
    cleanup: false, // we stop workers ourselves, with a grace period
    buffer: false,
    reject: false,
    stdin: options.stdin,
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const stdout = lineSplitter(options.onStdoutLine);
  const stderrLines: string[] = [];
  const stderr = lineSplitter((line) => {
    if (!line.trim()) return;
    stderrLines.push(line.slice(0, 500));
    if (stderrLines.length > STDERR_TAIL_LINES) stderrLines.shift();
  });
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin?.on('error', () => {
    // the process went away while we were writing: its exit is reported through `exited`
  });
  let alive = child.pid !== undefined;
  let settle: (exit: Exit) => void = () => {};
  const exited = new Promise<Exit>((resolve) => {
    let done = false;
    settle = (exit) => {
      if (done) return;
      done = true;
      alive = false;
      stdout.end();
      stderr.end();
      resolve(exit);
    };
  });
  // The normal end, and the only one when the process could not start (no 'exit' then).
  void child.then((result) => {
    const failedToStart = result.exitCode === undefined && !result.signal;
    settle({
      code: result.exitCode ?? null,
      signal: result.signal ?? null,
      error: failedToStart ? startError(result, argv[0]!) : null,
    });
  });
  // A turn ends with the worker itself, not with its stdout: a child it detached may hold the
  // pipe open for as long as it likes. What the worker wrote before it exited is read first.
  child.once('exit', (code, signal) => {
    alive = false;
    void drained(child.stdout, child.stderr).then(() => {
      settle({ code, signal, error: null });
      child.stdout?.destroy();
      child.stderr?.destroy();
    });
  });
  const pid = child.pid;

  const signalGroup = (signal: NodeJS.Signals) => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  };

  // Nothing a worker started may outlive it: when the leader exits, the rest of its group is
  // stopped too (politely first, so a maestro server in it can stop its own workers). Those that
  // left the group are the supervisor's to find (agents/agent-processes.ts).
  child.once('exit', () => {
    signalGroup('SIGTERM');
    setTimeout(() => {
      if (pid !== undefined && groupAlive(pid)) signalGroup('SIGKILL');
    }, options.leftoverGraceMs + 1000).unref();
  });

  return {
    pid,
    write: (line) => (alive && child.stdin?.writable ? child.stdin.write(`${line}\n`) : false),
    closeStdin: () => child.stdin?.end(),
    running: () => alive,
    stderrTail: () => stderrLines.join('\n'),
    exited,
    signalGroup,
    async stop(graceMs, politely) {
      if (alive) politely();
      const exit = await Promise.race([exited, sleep(graceMs).then(() => null)]);
      // Whether or not the leader left in time, nothing it started may stay behind.
      signalGroup('SIGKILL');
      return exit ?? exited;
    },
  };
}

/** After the leader's exit: its output is read to the end, or until it has been quiet a moment. */
async function drained(...streams: (Readable | null | undefined)[]): Promise<void> {
  const open = streams.filter((s): s is Readable => !!s && !s.readableEnded && !s.destroyed);
  if (open.length === 0) return;
  let lastData = Date.now();
  const onData = () => (lastData = Date.now());
  const ended = Promise.all(open.map((s) => new Promise<void>((resolve) => s.once('close', resolve))));
  let finished = false;
  void ended.then(() => (finished = true));
  for (const s of open) s.on('data', onData);
  const deadline = Date.now() + DRAIN_MAX_MS;
  try {
    while (!finished && Date.now() < deadline) {
      await Promise.race([ended, sleep(DRAIN_QUIET_MS / 2)]);
      if (finished || Date.now() - lastData < DRAIN_QUIET_MS) continue;
      // Quiet by the clock; but a busy machine may have run this timer before reading a pipe
      // that is ready: let two poll phases pass, then judge again.
      const before = lastData;
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (lastData === before) return;
    }
  } finally {
    for (const s of open) s.off('data', onData);
  }
}

function startError(result: { code?: string; message?: string; shortMessage?: string }, file: string): string {
  if (result.code === 'ENOENT') return `${file}: command not found`;
  if (result.code === 'EACCES') return `${file}: permission denied`;
  return result.shortMessage ?? result.message ?? `${file} could not be started`;
}
