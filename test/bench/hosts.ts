/**
 * (k) teams across hosts, on one PostgreSQL server: a coordinator's server (host "machine-a") and
 * a `maestro host` named b (machine "machine-b", its own checkout of the project), each reaching
 * the database over TCP. Remote spawn: spawn_agent {host: "b"} called → the worker process on b
 * running (it stamps the time as its first act). Cross-host wake: the worker on b about to report
 * (a stamp just before report_agent_job_result) → the coordinator's wait_agent on a returns.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshDatabase, type PgServer } from '../helpers/postgres.js';
import { MCP_WORKER, distribution, epochMs, startServer, type Distribution } from './agents.js';
import { CLI, tempDir } from './common.js';

export interface HostFigures {
  spawn: Distribution;
  wake: Distribution;
}

const LIMITS = { host_heartbeat_ms: 1000, max_open_agents: 500 };

/** `maestro host --name b` in a checkout of its own, ready when it says so. */
async function startHost(url: string) {
  const tmp = tempDir('host-b');
  execFileSync('git', ['init', '-q'], { cwd: tmp.dir });
  mkdirSync(path.join(tmp.dir, '.maestro'), { recursive: true });
  writeFileSync(path.join(tmp.dir, '.maestro', 'config.json'), JSON.stringify({ database: url, limits: LIMITS }));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  delete env.MAESTRO_DB;
  const child = spawn(process.execPath, [CLI, 'host', '--name', 'b', '--capacity', '64'], {
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

export async function hostFigures(server: PgServer, runs: number): Promise<HostFigures> {
  const url = await freshDatabase(server, `bench_hosts_${process.pid}`);
  const host = await startHost(url);
  const coordinator = await startServer('host-a', {
    config: { database: url, limits: LIMITS },
    env: { MAESTRO_HOST: 'machine-a' },
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
  return { spawn: distribution(spawns), wake: distribution(wakes) };
}
