/**
 * Who this process acts for, proved by where it runs rather than by anything it was handed.
 * Every worker runs as the same user, so a secret file or an environment variable can be read by
 * a sibling; a process's ancestry cannot be copied. So a worker's own maestro server (and a
 * `maestro` command run inside a worker) is the agent whose recorded worker process (pid and
 * start token, recorded by the supervisor at launch) is its nearest such ancestor:
 *
 * - MAESTRO_AGENT_ID is only a claim. It must name that agent, or the process is refused.
 * - With no claim, a process inside a worker's tree is still that worker: unsetting the variable
 *   never yields the coordinator's powers. Only a process in no worker's tree is top-level.
 * - Below a maestro server, in a process it has not recorded, is a worker it is launching (its
 *   pid is recorded just after the spawn): the answer waits for that record, and is a refusal,
 *   never the coordinator, if it does not come.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentStore } from '../store/agent-store.js';
import type { AgentRecord } from '../store/records.js';
import { MaestroError } from '../errors.js';
import type { Caller } from '../ops/caller.js';
import { ancestry, type ProcessRef } from './ancestry.js';

/** How long a process below a server waits for that server to record the worker it runs in. */
export const SETTLE_MS = 15_000;

export interface IdentityOptions {
  settleMs?: number;
  /** The process whose ancestry decides (this one unless a test says otherwise). */
  pid?: number;
}

type Found =
  | { kind: 'worker'; agent: AgentRecord; process: ProcessRef }
  | { kind: 'unrecorded'; server: ProcessRef }
  | { kind: 'none' };

/** The nearest recorded worker process in `line`, or the server whose unrecorded child we are in. */
async function nearest(line: ProcessRef[], agents: AgentStore): Promise<Found> {
  for (const [i, p] of line.entries()) {
    const agent = await agents.runningIn(p.pid, p.start);
    if (agent) return { kind: 'worker', agent, process: p };
    // A maestro server starts nothing but workers, so reaching one means the child of it we
    // came through is a worker whose record is not written yet (this process itself may be a
    // server: it is not its own child).
    if (i > 0 && (await agents.supervises(p.pid, p.start))) return { kind: 'unrecorded', server: p };
  }
  return { kind: 'none' };
}

const forbidden = (message: string) => new MaestroError('forbidden', message);

/** A worker agent as the caller of what its process asks for. */
export function agentCaller(agent: AgentRecord): Caller {
  return {
    role: agent.task_name,
    agentId: agent.id,
    sessionId: agent.session_id,
    path: agent.path,
    depth: agent.depth,
    clientId: null,
  };
}

export async function resolveCaller(
  env: NodeJS.ProcessEnv,
  agents: AgentStore,
  fallback: Caller,
  options: IdentityOptions = {},
): Promise<Caller> {
  const claimed = env.MAESTRO_AGENT_ID || null;
  const settleMs = options.settleMs ?? SETTLE_MS;
  const deadline = Date.now() + settleMs;
  for (;;) {
    const found = await nearest(ancestry(options.pid), agents);
    if (found.kind === 'worker') {
      const { agent } = found;
      if (claimed && claimed !== agent.id) {
        throw forbidden(
          `MAESTRO_AGENT_ID names agent ${claimed}, but this process runs inside the worker process of ${agent.task_name} (agent ${agent.id}, pid ${found.process.pid}); a process can act only for the worker it runs in`,
        );
      }
      return agentCaller(agent);
    }
    if (found.kind === 'none') {
      if (!claimed) return fallback;
      const agent = await agents.get(claimed);
      const what = agent
        ? `${agent.task_name}'s worker process${agent.pid === null ? ' (it has none running)' : ` (pid ${agent.pid})`}`
        : 'the worker process of that agent (no such agent is recorded)';
      throw forbidden(
        `MAESTRO_AGENT_ID names agent ${claimed}, but this process does not run inside ${what}; identity comes from the worker process a call is made from, not from the environment`,
      );
    }
    if (Date.now() >= deadline) {
      throw forbidden(
        `this process runs below the maestro server pid ${found.server.pid}, in a process that server has not recorded as one of its workers (waited ${settleMs} ms); it gets no identity, and no coordinator's`,
      );
    }
    await sleep(25);
  }
}
