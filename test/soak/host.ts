/**
 * The soak's second machine: `maestro host --name b` in a checkout of its own (its own data
 * directory, where its workers' transcripts go), told it is the machine "machine-b". The run
 * SIGKILLs it, as a crash or a pulled plug would, and starts it again: the new host reconciles
 * what the dead one left on its machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export class Host {
  private child: ChildProcess | null = null;
  starts = 0;

  constructor(private readonly options: { cli: string; cwd: string; env: Record<string, string>; name: string }) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [this.options.cli, 'host', '--name', this.options.name, '--capacity', '16'], {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // Its name is free again only once the dead host's heartbeat has gone stale: it retries until then.
    const deadline = Date.now() + 60_000;
    while (!out.includes(`maestro host ${this.options.name} on`)) {
      if (child.exitCode !== null) {
        if (Date.now() > deadline) throw new Error(`maestro host did not start: ${out}`);
        await sleep(250);
        return this.start();
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`maestro host did not say it was ready: ${out}`);
      }
      await sleep(20);
    }
    this.child = child;
    this.starts++;
  }

  /** SIGKILL, as a crash would: the host gets no chance to stop its workers. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** The polite end: SIGTERM, and the host stops every worker it started before it exits. */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
