/**
 * `maestro host`: a team whose workers run on other machines, over one PostgreSQL database. A
 * coordinator's server places a worker with spawn_agent {host} or {labels}; the host on that
 * machine starts it in its own checkout of the project, supervises it, carries out the close,
 * and stops what it started when it stops. A host that goes silent is lost: its agents' turns end
 * as errored, saying why and where their CLI sessions live, and a follow-up resumes them on that
 * machine once a host runs there again. A worker's transcript stays on its machine and is read
 * from there, by the CLI and the dashboard of another. The last case puts the hosts in network
 * namespaces of their own, so that everything between them crosses a network.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maestro, spawnMaestro } from './helpers/cli.js';
import { makeMachines, type Machine } from './helpers/netns.js';
import { CLI } from './helpers/paths.js';
import { findPgBin, freshDatabase, startPostgres, type PgServer } from './helpers/postgres.js';
import { agentRows, alive, gitProject, startProject, until, worker } from './helpers/project.js';

const found = await findPgBin();
if ('missing' in found) process.stderr.write(`skipping the maestro host tests: ${found.missing}\n`);

const LIMITS = { host_heartbeat_ms: 200, host_lost_ms: 1500, control_timeout_ms: 30_000, stop_grace_ms: 500 };

interface RunningHost {
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, and the exit awaited. */
  stop(): Promise<number | null>;
}

/** A project checkout of its own (another machine's), whose configuration names the team's database. */
function checkout(url: string): string {
  const dir = gitProject();
  mkdirSync(path.join(dir, '.maestro'), { recursive: true });
  writeFileSync(path.join(dir, '.maestro', 'config.json'), JSON.stringify({ database: url, limits: LIMITS }));
  return dir;
}

async function startHost(
  name: string,
  options: { dir: string; machine: string; labels?: string[]; wrap?: string[] },
): Promise<RunningHost> {
  const args = [CLI, 'host', '--name', name, '--capacity', '4'];
  if (options.labels) args.push('--labels', options.labels.join(','));
  const [command, ...rest] = [...(options.wrap ?? []), process.execPath, ...args] as [string, ...string[]];
  const child = spawn(command, rest, {
    cwd: options.dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: options.dir,
      MAESTRO_HOST: options.machine,
      MAESTRO_LOG_FILE: path.join(options.dir, '.maestro', 'host.log'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([
    until(() => out.includes(`maestro host ${name} on ${options.machine}`)),
    exited.then((code) => {
      throw new Error(`maestro host ${name} exited (${code}) before it was ready:\n${out}`);
    }),
  ]);
  return {
    child,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `maestro ui` in `dir` as machine `machine`: the address it printed, and how to stop it. */
async function startDashboard(
  dir: string,
  machine: string,
): Promise<{ origin: string; token: string; stop(): Promise<void> }> {
  const child = spawnMaestro(['ui', '--no-open'], { cwd: dir, env: { MAESTRO_HOST: machine } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    void child.then((r) => reject(new Error(`maestro ui exited ${r.exitCode}: ${stderr}`)));
  });
  const url = new URL(first);
  return {
    origin: url.origin,
    token: url.searchParams.get('token')!,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}

/** An open Server-Sent Events stream of the dashboard: what arrived so far, as events. */
async function openStream(origin: string, token: string, pathname: string) {
  const controller = new AbortController();
  const response = await fetch(`${origin}${pathname}`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(response.status, await (response.ok ? '' : response.text())).toBe(200);
  let text = '';
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })().catch(() => undefined);
  const events = () =>
    text
      .split('\n\n')
      .filter((block) => block.startsWith('event: '))
      .map((block) => {
        const [head, data] = block.split('\n') as [string, string];
        return { event: head.slice('event: '.length), data: JSON.parse(data.slice('data: '.length)) as unknown };
      });
  return {
    events,
    lines: () => events().flatMap((e) => (e.event === 'lines' ? (e.data as string[]) : [])),
    notes: () => events().flatMap((e) => (e.event === 'note' ? [e.data as string] : [])),
    close: () => controller.abort(),
  };
}

describe.skipIf('missing' in found)('maestro host', () => {
  let server: PgServer;
  const running: RunningHost[] = [];
  const host = async (...args: Parameters<typeof startHost>) => {
    const h = await startHost(...args);
    running.push(h);
    return h;
  };
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const h of running) if (h.child.exitCode === null && h.child.signalCode === null) await h.stop();
    await server?.stop();
  });

  it('a coordinator places workers on another host by name or label, reads their progress and results, and closes them', async () => {
    const url = await freshDatabase(server, `hosts_place_${process.pid}`);
    const p = await startProject({ config: { database: url, limits: LIMITS }, env: { MAESTRO_HOST: 'machine-a' } });
    const bDir = checkout(url);
    const b = await host('b', { dir: bDir, machine: 'machine-b', labels: ['gpu'] });
    expect(b.output()).toContain('maestro host b on machine-b: capacity 4, labels gpu; database postgres://');

    expect(await p.fails('spawn_agent', worker('X', {}, { host: 'nowhere' }))).toMatch(
      /no live maestro host is named nowhere; live hosts: b \[gpu\]/,
    );
    expect(await p.fails('spawn_agent', worker('X', {}, { labels: ['tpu'] }))).toMatch(
      /no live maestro host has every one of the labels tpu; live hosts: b \[gpu\]/,
    );

    const spawned = await p.ok(
      'spawn_agent',
      worker(
        'IMPL-001',
        { progress: ['built on b'], report: { status: 'completed', on: 'b' } },
        { host: 'b', session_id: 'TC-h' },
      ),
    );
    expect(spawned).toMatchObject({ task_name: 'IMPL-001', host: 'b', cwd: realpathSync(bDir) });
    expect(await p.ok('wait_agent', { timeout_ms: 60_000 })).toMatchObject({
      timed_out: false,
      agents: { 'IMPL-001': { result: { status: 'completed', on: 'b' } } },
    });
    const progress = await maestro(['msg', 'list', '-s', 'TC-h', '--type', 'progress', '--json'], {
      env: { MAESTRO_DB: url },
    });
    expect(progress.code, progress.stderr).toBe(0);
    expect((JSON.parse(progress.stdout) as { messages: { from: string; summary: string }[] }).messages).toEqual([
      expect.objectContaining({ from: 'IMPL-001', summary: 'built on b' }),
    ]);
    // Its transcript is kept on the machine that ran it.
    expect(existsSync(path.join(bDir, '.maestro', 'agents', spawned.agent_id as string, 'transcript.log'))).toBe(true);

    // By label, a worker that keeps running; the close is carried out by its host.
    await p.ok('spawn_agent', worker('HOLD', { sleep_ms: 120_000 }, { labels: ['gpu'], session_id: 'TC-h' }));
    let pid: number | null = null;
    await until(async () => {
      pid = (await agentRows(p, 'TC-h')).find((a) => a.task_name === 'HOLD')!.pid;
      return pid !== null;
    });
    expect(alive(pid!)).toBe(true);
    expect(await p.ok('close_agent', { target: 'HOLD', session_id: 'TC-h' })).toMatchObject({ closed: ['HOLD'] });
    await until(() => !alive(pid!));
  });

  it("a coordinator reads the transcript of a worker that ran on another machine as if it were local, and is told to start that machine's host when none runs there", async () => {
    const url = await freshDatabase(server, `hosts_transcript_${process.pid}`);
    const p = await startProject({ config: { database: url, limits: LIMITS }, env: { MAESTRO_HOST: 'machine-a' } });
    const bDir = checkout(url);
    let b = await host('b', { dir: bDir, machine: 'machine-b' });
    const spawned = await p.ok(
      'spawn_agent',
      worker(
        'TALK',
        { print: 'printed on machine-b', report: { status: 'completed' } },
        { host: 'b', session_id: 'TC-t' },
      ),
    );
    const agentId = spawned.agent_id as string;
    await p.ok('wait_agent', { timeout_ms: 60_000, session_id: 'TC-t' });
    // Only machine b has the file: the coordinator's checkout has no agents directory for it.
    expect(existsSync(path.join(bDir, '.maestro', 'agents', agentId, 'transcript.log'))).toBe(true);
    expect(existsSync(path.join(p.dir, '.maestro', 'agents', agentId))).toBe(false);

    const onA = (...args: string[]) =>
      maestro(['agents', 'show', 'TALK', '-s', 'TC-t', ...args], { cwd: p.dir, env: { MAESTRO_HOST: 'machine-a' } });
    const onB = (...args: string[]) =>
      maestro(['agents', 'show', 'TALK', '-s', 'TC-t', ...args], { cwd: bDir, env: { MAESTRO_HOST: 'machine-b' } });
    // The transcript is complete once the worker's exit is written in it.
    await until(async () => (await onA()).stdout.includes('exit code 0'));
    const fromA = await onA();
    expect(fromA.code, fromA.stderr).toBe(0);
    expect(fromA.stdout).toMatch(/^ {2}transcript \(last 4 lines\):$/m);
    expect(fromA.stdout).toMatch(/^ {4}\S+ out printed on machine-b$/m);
    // What machine a shows is what machine b, which keeps the file, shows.
    const local = await onB();
    expect(local.code, local.stderr).toBe(0);
    expect(fromA.stdout).toBe(local.stdout);
    const [jsonA, jsonB] = await Promise.all([onA('--json', '--lines', '2'), onB('--json', '--lines', '2')]);
    const transcriptOf = (out: string) => (JSON.parse(out) as { transcript: string[] }).transcript;
    expect(transcriptOf(jsonA.stdout)).toHaveLength(2);
    expect(transcriptOf(jsonA.stdout)).toEqual(transcriptOf(jsonB.stdout));
    // A read from another machine is bounded: more is refused, saying what is allowed.
    const tooMany = await onA('--lines', '2001');
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(
      /lines: expected a whole number of transcript lines from 1 to 2000 when the transcript is read from another machine \(TALK ran on machine-b\), got 2001/,
    );
    // A read is not news: the feed holds no control events for it.
    const events = await maestro(['events', '-s', 'TC-t', '--json'], { cwd: p.dir });
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout).toContain('TALK');
    expect(events.stdout).not.toMatch(/control_/);

    // The dashboard of machine a streams it too, and says when it cannot be read.
    const ui = await startDashboard(p.dir, 'machine-a');
    try {
      const stream = await openStream(ui.origin, ui.token, `/api/sessions/TC-t/agents/${agentId}/transcript`);
      await until(() => stream.lines().length > 0);
      expect(stream.lines()).toEqual(transcriptOf((await onB('--json')).stdout));

      expect(await b.stop()).toBe(0);
      const refused = await onA();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /TALK ran on the machine machine-b, where no maestro host is running now; its transcript is kept on that machine: start `maestro host` on machine-b and try again/,
      );
      expect(refused.stdout).toBe('');
      await until(() => stream.notes().some((n) => n.includes('start `maestro host` on machine-b')));

      // Once a host runs on machine b again, the same reads work, and the stream's note is withdrawn.
      b = await host('b', { dir: bDir, machine: 'machine-b' });
      const again = await onA();
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe((await onB()).stdout);
      await until(() => stream.notes().at(-1) === '');
      // Nothing was sent twice: the lines after the outage are only those written since (none).
      expect(stream.lines()).toEqual(transcriptOf((await onB('--json')).stdout));
      stream.close();
    } finally {
      await ui.stop();
    }
  });

  it('a host that goes silent is lost: its turns error saying where they live, and a follow-up resumes them there once it is back', async () => {
    const url = await freshDatabase(server, `hosts_lost_${process.pid}`);
    const p = await startProject({ config: { database: url, limits: LIMITS }, env: { MAESTRO_HOST: 'machine-a' } });
    const bDir = checkout(url);
    const b = await host('b', { dir: bDir, machine: 'machine-b' });
    await p.ok('spawn_agent', worker('LONG', { sleep_ms: 120_000 }, { host: 'b', session_id: 'TC-l' }));
    let pid: number | null = null;
    await until(async () => {
      pid = (await agentRows(p, 'TC-l'))[0]!.pid;
      return pid !== null;
    });

    b.child.kill('SIGKILL');
    const waited = await p.ok('wait_agent', { timeout_ms: 60_000, session_id: 'TC-l' });
    expect(waited).toMatchObject({ timed_out: false, agents: { LONG: { status: 'errored' } } });
    const [row] = (await p.ok('list_agents', { session_id: 'TC-l' })).agents as { error: string; pid: null }[];
    expect(row!.error).toMatch(/its maestro host b \(on machine-b\) stopped heartbeating/);
    expect(row!.error).toMatch(/a followup_task resumes it there once `maestro host --name b` runs again/);
    expect(row!.pid).toBeNull();
    expect(
      await p.fails('followup_task', { target: 'LONG', message: JSON.stringify({ report: 'x' }), session_id: 'TC-l' }),
    ).toMatch(/LONG ran on the machine machine-b, where no maestro host is running now; its CLI session lives there/);
    // The worker the killed host left is still running: only its own machine stops it, when a host starts there.
    expect(alive(pid!)).toBe(true);
    await host('b', { dir: bDir, machine: 'machine-b' });
    await until(() => !alive(pid!));

    const follow = await p.ok('followup_task', {
      target: 'LONG',
      message: JSON.stringify({ report: { resumed: 'on b' } }),
      session_id: 'TC-l',
    });
    expect(follow).toMatchObject({ task_name: 'LONG', turn: 2 });
    expect(await p.ok('wait_agent', { timeout_ms: 60_000, session_id: 'TC-l' })).toMatchObject({
      agents: { LONG: { turn: 2, result: { resumed: 'on b' } } },
    });
  });

  it('a host that stops stops every worker it started', async () => {
    const url = await freshDatabase(server, `hosts_stop_${process.pid}`);
    const p = await startProject({ config: { database: url, limits: LIMITS }, env: { MAESTRO_HOST: 'machine-a' } });
    const b = await host('b', { dir: checkout(url), machine: 'machine-b' });
    for (const name of ['S1', 'S2']) {
      await p.ok('spawn_agent', worker(name, { sleep_ms: 120_000 }, { host: 'b', session_id: 'TC-s' }));
    }
    let pids: number[] = [];
    await until(async () => {
      pids = (await agentRows(p, 'TC-s')).flatMap((a) => (a.pid === null ? [] : [a.pid]));
      return pids.length === 2;
    });
    expect(await b.stop()).toBe(0);
    expect(b.output()).toContain('maestro host b stopped (SIGTERM)');
    expect(pids.filter(alive)).toEqual([]);
    expect(await p.fails('spawn_agent', worker('S3', {}, { host: 'b', session_id: 'TC-s' }))).toMatch(
      /no live maestro host is named b; no maestro host is running/,
    );
  });

  describe('across network namespaces', () => {
    const made = makeMachines(2);
    if ('missing' in made) process.stderr.write(`skipping the network-namespace host test: ${made.missing}\n`);
    afterAll(() => {
      if (!('missing' in made)) made.remove();
    });

    it.skipIf('missing' in made)(
      'a coordinator on one machine runs workers on another, reads their progress and closes them',
      async () => {
        const [a, bm] = (made as { machines: Machine[] }).machines as [Machine, Machine];
        const netServer = await startPostgres({
          listen: [a.gateway, bm.gateway],
          hba: [`host all all ${a.address}/32 trust`, `host all all ${bm.address}/32 trust`],
        });
        try {
          const name = `hosts_net_${process.pid}`;
          const local = await freshDatabase(netServer, name);
          const over = (m: Machine) => local.replace('127.0.0.1', m.gateway);
          const p = await startProject({
            config: { database: over(a), limits: LIMITS },
            env: { MAESTRO_HOST: 'machine-a' },
            wrap: a.wrap,
          });
          await host('a', { dir: p.dir, machine: 'machine-a', wrap: a.wrap });
          await host('b', { dir: checkout(over(bm)), machine: 'machine-b', wrap: bm.wrap, labels: ['big'] });

          const spawned = await p.ok(
            'spawn_agent',
            worker(
              'REMOTE',
              { progress: ['step over the wire'], sleep_ms: 120_000 },
              { host: 'b', session_id: 'TC-n' },
            ),
          );
          expect(spawned).toMatchObject({ host: 'b' });
          const env = { MAESTRO_DB: local };
          await until(async () => {
            const listed = await maestro(['msg', 'list', '-s', 'TC-n', '--type', 'progress', '--json'], { env });
            return listed.stdout.includes('step over the wire');
          });
          const closed = await p.ok('close_agent', { target: 'REMOTE', session_id: 'TC-n' });
          expect(closed).toMatchObject({ closed: ['REMOTE'] });
          const agents = await maestro(['agents', '-s', 'TC-n'], { env });
          expect(agents.stdout).toMatch(/REMOTE\s.*shutdown/);
        } finally {
          for (const h of running.splice(0)) if (h.child.exitCode === null) await h.stop();
          await netServer.stop();
        }
      },
    );
  });
});
