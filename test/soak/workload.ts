/**
 * The randomised part of the soak: one coordinator driving scripted workers (each a real process
 * with its own maestro server) through spawns, follow-ups, messages, interrupts, closes and waits,
 * while workers and the coordinator's server are killed with SIGKILL at random.
 */
import path from 'node:path';
import type { Coordinator, CallOutcome } from './coordinator.js';
import { INBOX } from './background.js';
import type { Ledger } from './ledger.js';
import type { Random } from './random.js';

export const OPS = {
  spawn: 18,
  followup: 12,
  send: 12,
  log: 12,
  wait: 16,
  interrupt: 5,
  close: 6,
  list: 5,
  kill_worker: 6,
} as const;
type Op = keyof typeof OPS;

export interface WorkloadOptions {
  coordinator: Coordinator;
  ledger: Ledger;
  random: Random;
  session: string;
  /** The scripted worker: a node script that talks to its own maestro server. */
  workerScript: string;
  ackDir: string;
  maxOpenAgents: number;
  maxWaitMs: number;
  /** `maestro host` names a spawn may be placed on (about half of them are); none: all run here. */
  hosts: string[];
}

interface Tracked {
  task: string;
  closed: boolean;
}

/** How a refused call can legitimately read; anything else unexpected is a violation. */
const VIOLATION = /locked|SQLITE_BUSY|stayed busy|internal error/i;

export class Workload {
  private readonly agents: Tracked[] = [];
  private tokens = 0;
  private plans = 0;
  private subAgents = 0;

  constructor(private readonly o: WorkloadOptions) {}

  private token(kind: string): string {
    return `t:${kind}${++this.tokens}`;
  }

  private open(): Tracked[] {
    return this.agents.filter((a) => !a.closed);
  }

  /**
   * A worker's script for one turn: progress, maybe a message up, maybe mail, maybe a worker of
   * its own to wait for, a result or a failure.
   */
  private plan(depth = 1): Record<string, unknown> {
    const r = this.o.random;
    const long = r.chance(0.1);
    const nested = depth === 1 && r.chance(0.25);
    return {
      ...(nested
        ? {
            spawn: {
              task_name: `S${++this.subAgents}`,
              backend: 'command',
              command: [process.execPath, this.o.workerScript],
              message: `soak sub-turn\n${JSON.stringify(this.plan(2))}`,
            },
            wait: true,
          }
        : {}),
      progress: Array.from({ length: r.int(0, 3) }, () => this.token('w')),
      send: r.chance(0.4) ? [{ target: 'coordinator', message: this.token('up') }] : [],
      wait_mail_ms: r.chance(0.25) ? 300 : 0,
      sleep_ms: long && depth === 1 ? r.int(3000, 9000) : r.int(0, 800),
      ...(r.chance(0.85) ? { report: { token: this.token('r') } } : {}),
      ...(r.chance(0.08) ? { exit_code: 1 } : {}),
      ack_file: path.join(this.o.ackDir, `plan-${++this.plans}.jsonl`),
    };
  }

  private async call(name: string, args: Record<string, unknown>, extraMs = 0): Promise<CallOutcome> {
    this.o.ledger.operations.add(name);
    let out: CallOutcome;
    try {
      out = await this.o.coordinator.call(name, args, extraMs);
    } catch (error) {
      const said = this.o.coordinator.stderrTail.trim();
      this.o.ledger.violations.push(
        `${name} did not answer: ${(error as Error).message}${said ? `; the server's stderr: ${said}` : ''}`,
      );
      throw error;
    }
    if (!out.ok) {
      if (VIOLATION.test(out.text)) this.o.ledger.violations.push(`${name}: ${out.text}`);
      else this.o.ledger.refuse(name, out.text);
    }
    return out;
  }

  async step(): Promise<void> {
    const op = this.o.random.weighted<Op>(OPS);
    await this[op]();
  }

  async spawn(): Promise<void> {
    if (this.open().length >= this.o.maxOpenAgents) return this.close();
    const task = `W${this.agents.length + 1}`;
    const placed = this.placement();
    const out = await this.call('spawn_agent', {
      task_name: task,
      backend: 'command',
      command: [process.execPath, this.o.workerScript],
      message: `soak turn\n${JSON.stringify(this.plan())}`,
      ...placed,
    });
    if (out.ok) this.agents.push({ task, closed: false });
    if (out.ok && placed.host) this.o.ledger.operations.add('spawn_agent on a host');
  }

  private placement(): { host?: string } {
    return this.o.hosts.length > 0 && this.o.random.chance(0.5) ? { host: this.o.random.pick(this.o.hosts) } : {};
  }

  async followup(): Promise<void> {
    const agent = this.pickOpen();
    if (agent) await this.call('followup_task', { target: agent.task, message: JSON.stringify(this.plan()) });
  }

  async send(): Promise<void> {
    const agent = this.pickOpen();
    if (!agent) return;
    const token = this.token('m');
    const out = await this.call('send_message', { target: agent.task, message: token });
    if (out.ok) this.o.ledger.commit(token, out.structured.message_id as string, 'coordinator');
  }

  async log(): Promise<void> {
    const token = this.token('c');
    const to = this.o.random.pick(['coordinator', INBOX, INBOX, 'all']);
    const out = await this.call('team_msg', {
      operation: 'log',
      session_id: this.o.session,
      to,
      type: to === 'all' ? 'broadcast' : 'message',
      summary: token,
    });
    if (out.ok) this.o.ledger.commit(token, out.structured.id as string, 'coordinator');
  }

  /** A wait; returns how much news it brought. */
  async wait(timeoutMs = this.o.random.int(0, this.o.maxWaitMs)): Promise<number> {
    const out = await this.call('wait_agent', { timeout_ms: timeoutMs, session_id: this.o.session }, timeoutMs);
    if (!out.ok) return 0;
    this.o.ledger.waits.push({ timeoutMs, elapsedMs: out.elapsedMs });
    const finished = (out.structured.finished ?? []) as { agent_id: string; turn: number }[];
    const messages = (out.structured.messages ?? []) as { id: string }[];
    for (const f of finished) this.o.ledger.waitFinished.add(`${f.agent_id}#${f.turn}`);
    for (const m of messages) this.o.ledger.waitMessages.add(m.id);
    return finished.length + messages.length;
  }

  async interrupt(): Promise<void> {
    const agent = this.pickOpen();
    if (agent) await this.call('interrupt_agent', { target: agent.task });
  }

  async close(): Promise<void> {
    const agent = this.pickOpen();
    if (!agent) return;
    const out = await this.call('close_agent', { target: agent.task });
    if (out.ok) agent.closed = true;
  }

  async list(): Promise<void> {
    await this.call('list_agents', { session_id: this.o.session });
    await this.call('team_msg', { operation: 'list', session_id: this.o.session, type: 'progress', last: 10 });
  }

  /** SIGKILL to a worker process (not its group): its own server must notice and go too. */
  async kill_worker(): Promise<void> {
    const out = await this.call('list_agents', { session_id: this.o.session });
    const running = ((out.structured.agents ?? []) as { pid: number | null }[]).filter((a) => a.pid !== null);
    if (running.length === 0) return;
    const { pid } = this.o.random.pick(running);
    try {
      process.kill(pid!, 'SIGKILL');
      this.o.ledger.faults.add('worker SIGKILL');
    } catch {
      // it finished on its own in the meantime
    }
  }

  /**
   * A worker that is sure to be running when it is killed: spawned on a long turn, killed once
   * the server reports its pid. For a run that chance has not yet given a worker SIGKILL.
   */
  async killALongWorker(): Promise<void> {
    if (this.open().length >= this.o.maxOpenAgents) await this.close();
    const task = `W${this.agents.length + 1}`;
    const plan = { ...this.plan(2), sleep_ms: 30_000 };
    const out = await this.call('spawn_agent', {
      task_name: task,
      backend: 'command',
      command: [process.execPath, this.o.workerScript],
      message: `soak turn\n${JSON.stringify(plan)}`,
      ...this.placement(),
    });
    if (!out.ok) return;
    this.agents.push({ task, closed: false });
    for (let attempt = 0; attempt < 100; attempt++) {
      const list = await this.call('list_agents', { session_id: this.o.session });
      const agents = (list.structured.agents ?? []) as { task_name: string; pid: number | null }[];
      const pid = agents.find((a) => a.task_name === task)?.pid;
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
          this.o.ledger.faults.add('worker SIGKILL');
        } catch {
          // gone already: the next round tries again
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL to the coordinator's server mid-run, and a new one started in its place. */
  async killServer(): Promise<void> {
    await this.o.coordinator.kill();
    await this.o.coordinator.start();
  }

  /** Closes every agent and collects all news still owed, so nothing is left to account for. */
  async finish(): Promise<void> {
    for (const agent of this.open()) {
      const out = await this.call('close_agent', { target: agent.task });
      if (out.ok) agent.closed = true;
    }
    // Bounded: news that is never marked delivered would come back for ever (and show as duplicates).
    for (let round = 0; round < 50 && (await this.wait(0)) > 0; round++) {
      // drain
    }
  }

  private pickOpen(): Tracked | undefined {
    const open = this.open();
    return open.length ? this.o.random.pick(open) : undefined;
  }
}
