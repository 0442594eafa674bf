/**
 * No process of an agent escapes: whatever left the worker's process group (`setsid`, a
 * detached child) or outlived its leader is stopped on close_agent, when the server stops, and
 * by the next server after a crash; and a child holding the worker's stdout neither hangs a
 * close nor costs the worker its result. What is left is counted from /proc, by the marker
 * every process of a worker inherits.
 */
import { spawn } from 'node:child_process';
import { startProcess } from '../src/backends/process.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentProcesses, gone, type Found } from './helpers/processes.js';
import { agentRows, alive, startProject, until, type Project } from './helpers/project.js';
import { tempDir } from './helpers/temp.js';

type Waited = { timed_out: boolean; agents: Record<string, { status: string; result?: unknown; error?: string }> };

/** A command worker whose grandchild leaves the worker's session and group, then sleeps in its turn. */
const SETSID_WORKER = ['sh', '-c', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo started; exec sleep 1000'];

async function spawnCommand(p: Project, task: string, command: string[], sessionId?: string): Promise<string> {
  const spawned = await p.ok('spawn_agent', {
    task_name: task,
    backend: 'command',
    command,
    message: 'x',
    ...(sessionId ? { session_id: sessionId } : {}),
  });
  return spawned.agent_id as string;
}

/** Waits until the agent has a process outside the worker's own session; returns all it has. */
async function withEscapedChild(p: Project, agentId: string, task: string, sessionId?: string): Promise<Found[]> {
  let found: Found[] = [];
  await until(async () => {
    const pid = (await agentRows(p, sessionId)).find((a) => a.task_name === task)?.pid;
    found = agentProcesses(agentId);
    return pid != null && found.some((f) => f.pid !== pid && f.session !== pid);
  });
  return found;
}

async function noneLeft(agentId: string, timeoutMs = 20_000): Promise<void> {
  await until(() => agentProcesses(agentId).length === 0, timeoutMs).catch(() => {
    throw new Error(`left running: ${JSON.stringify(agentProcesses(agentId))}`);
  });
}

describe('a grandchild started with setsid', () => {
  it('is stopped by close_agent; a process of another project with the same id is not touched', async () => {
    const p = await startProject({ config: { limits: { stop_grace_ms: 500 } } });
    const id = await spawnCommand(p, 'SETSID', SETSID_WORKER);
    await withEscapedChild(p, id, 'SETSID');
    // Same agent id, another database: not this project's, so never this server's to stop.
    const stranger = spawn('sleep', ['1000'], {
      env: { PATH: process.env.PATH, MAESTRO_AGENT_ID: id, MAESTRO_DB: '/elsewhere/.maestro/maestro.db' },
      stdio: 'ignore',
    });
    try {
      await p.ok('close_agent', { target: 'SETSID' });
      await until(() => agentProcesses(id).every((f) => f.pid === stranger.pid), 20_000);
      expect(agentProcesses(id).map((f) => f.pid)).toEqual([stranger.pid]);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('is stopped when the server’s stdin closes', async () => {
    const p = await startProject({ config: { limits: { stop_grace_ms: 500 } } });
    const id = await spawnCommand(p, 'SETSID', SETSID_WORKER);
    await withEscapedChild(p, id, 'SETSID');
    await p.client.close();
    await until(() => !alive(p.serverPid), 20_000);
    await noneLeft(id);
  });

  it('is stopped by the next server after the first is killed with SIGKILL', async () => {
    const first = await startProject({ config: { limits: { stop_grace_ms: 500 } } });
    const id = await spawnCommand(first, 'SETSID', SETSID_WORKER, 'crash');
    const before = await withEscapedChild(first, id, 'SETSID', 'crash');
    process.kill(first.serverPid, 'SIGKILL');
    await until(() => !alive(first.serverPid), 10_000);
    expect(agentProcesses(id).length).toBe(before.length); // the dead server stopped nothing

    const second = await startProject({ dir: first.dir });
    await noneLeft(id);
    expect((await agentRows(second, 'crash'))[0]).toMatchObject({ status: 'errored', pid: null });
  });
});

describe('background children of a worker that died after its server', () => {
  it('are stopped by the next server, although their group leader is gone', async () => {
    const first = await startProject({ config: { limits: { stop_grace_ms: 500 } } });
    // Two children in the worker's group; the worker writes until its stdout breaks (SIGPIPE).
    const id = await spawnCommand(
      first,
      'PIPER',
      ['sh', '-c', 'sleep 1000 & sleep 1000 & while :; do echo tick || exit 1; sleep 0.2; done'],
      'crash',
    );
    let leader = 0;
    await until(async () => {
      leader = (await agentRows(first, 'crash'))[0]!.pid ?? 0;
      return leader > 0 && agentProcesses(id).filter((f) => f.command === 'sleep 1000').length === 2;
    });
    process.kill(first.serverPid, 'SIGKILL');
    // SIGPIPE on its next line; then collected (as an init that reaps its orphans does), so that
    // nothing is left of the group but the two children.
    await until(() => gone(leader), 60_000);
    const children = agentProcesses(id).filter((f) => f.command === 'sleep 1000');
    expect(children).toHaveLength(2); // still running, in a group whose leader is gone

    await startProject({ dir: first.dir });
    await noneLeft(id);
  }, 120_000);
});

describe('a detached child holding the worker’s stdout', () => {
  it('neither keeps the turn from ending nor costs the result, and close_agent leaves nothing', async () => {
    const p = await startProject({ config: { limits: { stop_grace_ms: 500 } } });
    const script = [
      "const { spawn } = require('child_process');",
      "spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1000000)'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] }).unref();",
      "console.log(JSON.stringify({ verdict: 'pass' }));",
    ].join('\n');
    const id = await spawnCommand(p, 'HOLDER', [process.execPath, '-e', script]);
    const waited = (await p.ok('wait_agent', { targets: ['HOLDER'], timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.timed_out).toBe(false);
    expect(waited.agents.HOLDER).toMatchObject({ status: 'completed', result: { verdict: 'pass' } });
    await p.ok('close_agent', { target: 'HOLDER' });
    await noneLeft(id);
    expect((await agentRows(p))[0]).toMatchObject({ status: 'shutdown', result: { verdict: 'pass' } });
  }, 60_000);
});

describe('a worker process', () => {
  it('has ended once it exited and everything it wrote is read, while a detached child holds its stdout', async () => {
    const script = [
      "const { spawn } = require('child_process');",
      "const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1000000)'], { detached: true, stdio: ['ignore', 'inherit', 'ignore'] });",
      "console.log('child ' + c.pid); c.unref();",
      // About 60 kB: most of it is still in the pipe when the process exits.
      "for (let i = 0; i < 2000; i++) console.log('line ' + i + ' ' + 'x'.repeat(24));",
    ].join('\n');
    const lines: string[] = [];
    onTestFinished(() => {
      const holder = Number(lines[0]?.split(' ')[1]);
      if (holder > 0) process.kill(holder, 'SIGKILL');
    });
    const child = startProcess([process.execPath, '-e', script], {
      cwd: tempDir(),
      env: { PATH: process.env.PATH ?? '' },
      stdin: 'ignore',
      leftoverGraceMs: 200,
      onStdoutLine: (line) => lines.push(line),
    });
    expect(await child.exited).toEqual({ code: 0, signal: null, error: null });
    expect(child.running()).toBe(false);
    expect(lines).toHaveLength(2001);
    expect(lines.at(-1)).toBe(`line 1999 ${'x'.repeat(24)}`);
  });
});
