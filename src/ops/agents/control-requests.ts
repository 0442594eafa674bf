/**
 * Control from any server. An agent is run by one server: the one whose supervisor started its
 * process. followup_task, interrupt_agent, send_message and close_agent, called through another
 * server for an agent that a live server runs, are written as control requests addressed to that
 * server (store/control-store.ts); it carries them out with the same operations a call made to
 * it would use, and records the outcome, which the asking server returns as its own. A request
 * nobody takes in limits.control_timeout_ms expires and the caller gets a timeout error; one whose
 * server stops before taking it expires and the asking server does the work itself.
 *
 * A read (an agent's transcript, ops/agents/transcript.ts) goes to the machine that keeps the
 * agent's files, to its live maestro there, whether or not the agent's process still runs; the
 * asker needs only the store and the limits, no worker of its own (the `maestro agents` CLI asks).
 */
import { HOST, SELF, ownedHere, ownerAlive } from '../../agents/liveness.js';
import { isControlRead } from '../../agents/records.js';
import { liveHosts } from '../hosts/place.js';
import { MaestroError, errorMessage, type ErrorCode } from '../../errors.js';
import type { AgentRecord, ControlArgs, ControlOutcome, ControlRequest } from '../../store/records.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';

/** Carries out one request on this server; what it returns is the outcome recorded for the asker. */
export type ControlExecutor = (
  deps: AgentDeps,
  agent: AgentRecord,
  request: ControlRequest,
) => Promise<Record<string, unknown>>;

/**
 * The live server, other than this one, that runs the agent and takes requests; null when there is
 * none. An agent of another machine that no server runs now (its host was lost, or stopped) is
 * that machine's: its CLI session lives there, so its live host takes the request, and with none a
 * follow-up is refused saying so (a close goes ahead here: there is nothing to stop from here).
 */
async function runningServer(deps: AgentDeps, agent: AgentRecord, verb: ControlArgs['verb']): Promise<string | null> {
  if (deps.supervisor.owns(agent.id) || ownedHere(agent)) return null;
  if (verb === 'transcript') return keepingServer(deps, agent);
  if (agent.owner_server !== null && ownerAlive(agent)) return agent.owner_server;
  if (agent.owner_host === null || agent.owner_host === HOST) return null;
  const host = (await liveHosts(deps)).find((h) => h.machine === agent.owner_host);
  if (host) return host.server;
  if (verb === 'close') return null;
  throw machineHasNoHost(agent, verb);
}

/**
 * For a read: the live server of the machine that ran the agent, which keeps its files; null when
 * that is this machine. A finished agent keeps its machine (owner_host) after its process is gone,
 * and often its server too: the host that ran it is asked while it lives, else any live host of
 * that machine, else the recorded server when it is not a host (a maestro server there takes
 * requests while it lives).
 */
async function keepingServer(deps: AgentDeps, agent: AgentRecord): Promise<string | null> {
  if (agent.owner_host === null || agent.owner_host === HOST) return null;
  const hosts = await deps.store.hosts.list();
  const live = hosts.filter((h) => h.state === 'live' && h.fresh && h.machine === agent.owner_host);
  const host = live.find((h) => h.server === agent.owner_server) ?? live[0];
  if (host) return host.server;
  if (agent.owner_server !== null && ownerAlive(agent) && !hosts.some((h) => h.server === agent.owner_server))
    return agent.owner_server;
  throw machineHasNoHost(agent, 'transcript');
}

/** The refusal of what only the agent's own machine can do, when no maestro host runs there now. */
export function machineHasNoHost(agent: AgentRecord, verb: ControlArgs['verb']): MaestroError {
  const machine = agent.owner_host ?? 'another machine';
  if (verb === 'transcript') {
    return new MaestroError(
      'unavailable',
      `${agent.task_name} ran on the machine ${machine}, where no maestro host is running now; its transcript is ` +
        `kept on that machine: start \`maestro host\` on ${machine} and try again`,
    );
  }
  return new MaestroError(
    'unavailable',
    `${agent.task_name} ran on the machine ${machine}, where no maestro host is running now; its CLI session ` +
      `lives there: start \`maestro host\` on ${machine} and ${verb === 'followup' ? 'follow up' : 'try'} again, or close_agent it`,
  );
}

/** Whether the server a request is addressed to still runs: a host by its heartbeat, a local server by its process. */
async function executorAlive(deps: AgentDeps, agent: AgentRecord, server: string): Promise<boolean> {
  const host = (await deps.store.hosts.list()).find((h) => h.server === server);
  if (host) return host.state === 'live' && host.fresh;
  return server === agent.owner_server ? ownerAlive(agent) : true;
}

/**
 * Whether a request not yet taken can still be: its server is alive and still runs the agent. A
 * server of another machine cannot be looked at from here, so it counts as running the agent for
 * as long as the agent's record names it — that machine's host clears the record when it dies.
 */
async function takerAlive(deps: AgentDeps, agent: AgentRecord, server: string): Promise<boolean> {
  if (!(await executorAlive(deps, agent, server))) return false;
  if (server !== agent.owner_server) return true;
  return (await deps.agents.get(agent.id))?.owner_server === server;
}

/**
 * Has `args` carried out by the server that runs `agent`, when that is another live server, and
 * returns its result; null when the caller is to do it here (no other server runs the agent, or
 * the one that did stopped before taking the request).
 */
export async function viaRunningServer(
  deps: AgentDeps,
  caller: Caller,
  agent: AgentRecord,
  args: ControlArgs,
): Promise<Record<string, unknown> | null> {
  let current: AgentRecord | null = agent;
  // The agent can move on while a request waits (its server stops, another server runs its
  // next turn): each look decides again, and a few looks settle it.
  for (let look = 0; look < 3 && current; look++) {
    const server = await runningServer(deps, current, args.verb);
    if (!server) return null;
    const result = await request(deps, caller, current, server, args);
    if (result) return result;
    current = await deps.agents.get(agent.id);
  }
  return null;
}

async function request(
  deps: AgentDeps,
  caller: Caller,
  agent: AgentRecord,
  server: string,
  args: ControlArgs,
): Promise<Record<string, unknown> | null> {
  const { control } = deps.store;
  const timeoutMs = deps.config.config.limits.control_timeout_ms;
  const deadline = Date.now() + timeoutMs;
  const asked = await control.request({
    session_id: agent.session_id,
    agent_id: agent.id,
    server,
    args,
    requested_by: caller.role,
    requester_agent_id: caller.agentId,
  });
  const where =
    agent.owner_server === server
      ? `another maestro server (pid ${agent.owner_pid} on ${agent.owner_host ?? 'this host'})`
      : `the maestro host on ${agent.owner_host}`;
  for (;;) {
    const now = await control.get(asked.id);
    if (!now) throw new MaestroError('storage', `control request ${asked.id} is gone from the store`);
    if (now.state === 'done' || now.state === 'failed') {
      // A read's answer was for this asker only: its row goes once the answer is in hand.
      if (isControlRead(args)) await control.discard(asked.id);
      return outcomeOf(now.outcome);
    }
    if (now.state === 'pending') {
      const gone = !(await takerAlive(deps, agent, server));
      if (gone || Date.now() >= deadline) {
        const reason = gone
          ? 'the server running it stopped before taking the request'
          : `not taken within ${timeoutMs} ms (limits.control_timeout_ms)`;
        if (await control.expire(asked.id, reason)) {
          if (gone) return null;
          throw new MaestroError(
            'timeout',
            `${agent.task_name} is run by ${where}, which did not take the ${args.verb} request within ${timeoutMs} ms ` +
              '(limits.control_timeout_ms); it may be busy or stuck: try again, or close the agent',
          );
        }
        continue; // taken meanwhile
      }
    } else if (now.state === 'taken' && !(await executorAlive(deps, agent, server))) {
      throw new MaestroError(
        'unavailable',
        `${where}, which runs ${agent.task_name}, stopped while carrying out the ${args.verb} request; ` +
          'look at the agent with list_agents before trying again',
      );
    }
    const left = deadline - Date.now();
    await deps.store.changes.next(now.state === 'taken' || left > 1000 ? 1000 : Math.max(left, 1));
  }
}

function outcomeOf(outcome: ControlOutcome | null): Record<string, unknown> {
  if (!outcome) throw new MaestroError('storage', 'a finished control request has no outcome');
  if (outcome.ok) return outcome.result;
  throw new MaestroError(outcome.code as ErrorCode, outcome.message);
}

/**
 * What a server runs at each change once it has run a worker: it takes the requests addressed to it
 * and carries them out one at a time, in order.
 */
export function serveControlRequests(deps: AgentDeps, execute: ControlExecutor): () => void {
  let serving = false;
  let again = false;
  const serve = async () => {
    if (serving) {
      again = true;
      return;
    }
    serving = true;
    try {
      do {
        again = false;
        for (const request of await deps.store.control.pending(SELF.server)) await carryOut(deps, execute, request);
      } while (again);
    } catch (error) {
      deps.logger.error({ err: error }, 'serving control requests failed');
    } finally {
      serving = false;
    }
  };
  return () => void serve();
}

async function carryOut(deps: AgentDeps, execute: ControlExecutor, request: ControlRequest): Promise<void> {
  if (!(await deps.store.control.take(request.id))) return; // expired meanwhile
  let outcome: ControlOutcome;
  try {
    const agent = await deps.agents.get(request.agent_id);
    if (!agent) throw new MaestroError('not_found', `agent ${request.agent_id} not found`);
    outcome = { ok: true, result: await execute(deps, agent, request) };
  } catch (error) {
    const code = error instanceof MaestroError ? error.code : 'unavailable';
    outcome = { ok: false, code, message: errorMessage(error) };
  }
  deps.logger.info(
    { request: request.id, verb: request.args.verb, agent: request.agent_id, ok: outcome.ok },
    'carried out a control request',
  );
  await deps.store.control.finish(request.id, outcome);
}
