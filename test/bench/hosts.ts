/**
 * (k) teams across hosts, on one PostgreSQL server: a coordinator's server (host "machine-a") and
 * a `maestro host` named b (machine "machine-b", its own checkout of the project), each reaching
 * the database over TCP. Remote spawn: spawn_agent {host: "b"} called → the worker process on b
 * running (it stamps the time as its first act). Cross-host wake: the worker on b about to report
 * (a stamp just before report_agent_job_result) → the coordinator's wait_agent on a returns.
 * Given two network namespaces (`net`), each side runs in its own and reaches the database over
 * its veth link, as two machines would over a network; without them, both use loopback.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Machine } from '../helpers/netns.js';
import { freshDatabase, type PgServer } from '../helpers/postgres.js';
import { MCP_WORKER, distribution, epochMs, startServer, type Distribution } from './agents.js';
import { CLI, tempDir } from './common.js';

export interface HostFigures {
  spawn: Distribution;
  wake: Distribution;
  /** How the two sides reach the database. */
  network: string;
}

/** The URL by which `machine` reaches the database: its link's near end, where the server listens. */
const over = (url: string, machine: Machine | undefined) => (machine ? url.replace('127.0.0.1', machine.gateway) : url);

const LIMITS = { host_heartbeat_ms: 1000, max_open_agents: 500 };

/** `maestro host --name b` in a checkout of its own, ready when it says so. */
async function startHost(url: string, wrap: string[] = []) {
  const tmp = tempDir('host-b');
  execFileSync('git', ['init', '-q'], { cwd: tmp.dir });
  mkdirSync(path.join(tmp.dir, '.maestro'), { recursive: true });
  writeFileSync(path.join(tmp.dir, '.maestro', 'config.json'), JSON.stringify({ database: url, limits: LIMITS }));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  delete env.MAESTRO_DB;
  const [command, ...args] = [...wrap, process.execPath, CLI, 'host', '--name', 'b', '--capacity', '64'];
  const child = spawn(command!, args, {
    cwd: tmp.dir,
    env: { ...env, MAESTRO_HOST: 'machine-b' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes('maestro host b on machine-b')) {
    if (child.exitCode !== null) throw new Error(`maestro host exited before it was ready: ${out}`);
    await sleep(20);
  }
  return {
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      tmp.cleanup();
    },
  };
}

export async function hostFigures(
  server: PgServer,
  runs: number,
  net?: { a: Machine; b: Machine },
): Promise<HostFigures> {
  const url = await freshDatabase(server, `bench_hosts_${process.pid}`);
  const host = await startHost(over(url, net?.b), net?.b.wrap);
  const coordinator = await startServer('host-a', {
    config: { database: over(url, net?.a), limits: LIMITS },
    env: { MAESTRO_HOST: 'machine-a' },
    wrap: net?.a.wrap,
  });
  const spawns: number[] = [];
  const wakes: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = path.join(coordinator.dir, `started-${i}`);
      const t0 = epochMs();
      await coordinator.call('spawn_agent', {
        task_name: `S-${i}`,
        host: 'b',
        backend: 'command',
        command: ['sh', '-c', `date +%s%N > ${started}`],
        message: 'stamp the time',
      });
      while (!existsSync(started) || readFileSync(started, 'utf8').trim() === '') await sleep(1);
      spawns.push(Number(readFileSync(started, 'utf8').trim()) / 1e6 - t0);

      const marker = path.join(coordinator.dir, `reported-${i}`);
      const plan = { sleep_ms: 300, report_marker: marker, report: { run: i } };
      await coordinator.call('spawn_agent', {
        task_name: `W-${i}`,
        host: 'b',
        backend: 'command',
        command: [process.execPath, MCP_WORKER],
        message: `report when told\n${JSON.stringify(plan)}`,
      });
      const waited = await coordinator.call('wait_agent', { targets: [`W-${i}`], timeout_ms: 30_000 });
      const returned = epochMs();
      if (waited.timed_out) throw new Error(`W-${i} on host b did not report`);
      wakes.push(returned - Number(readFileSync(marker, 'utf8')));
      await coordinator.call('close_agent', { target: `W-${i}` });
      await coordinator.call('close_agent', { target: `S-${i}` });
    }
  } finally {
    await coordinator.close();
    await host.stop();
  }
  return {
    spawn: distribution(spawns),
    wake: distribution(wakes),
    network: net ? 'two network namespaces, each on its own veth link' : 'one namespace, TCP on loopback',
  };
}
