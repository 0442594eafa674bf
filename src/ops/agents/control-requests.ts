/**
 * Control from any server. An agent is run by one server: the one whose supervisor started its
 * process. followup_task, interrupt_agent, send_message and close_agent, called through another
 * server for an agent that a live server runs, are written as control requests addressed to that
 * server (store/control-store.ts); it carries them out with the same operations a call made to
 * it would use, and records the outcome, which the asking server returns as its own. A request
 * nobody takes in limits.control_timeout_ms expires and the caller gets a timeout error; one whose
 * server stops before taking it expires and the asking server does the work itself.
 */
import { HOST, SELF, ownedHere, ownerAlive } from '../../agents/liveness.js';
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
  if (agent.owner_server !== null && ownerAlive(agent)) return agent.owner_server;
  if (agent.owner_host === null || agent.owner_host === HOST) return null;
  const host = (await liveHosts(deps)).find((h) => h.machine === agent.owner_host);
  if (host) return host.server;
  if (verb === 'close') return null;
  throw new MaestroError(
    'unavailable',
    `${agent.task_name} ran on the machine ${agent.owner_host}, where no maestro host is running now; its CLI session ` +
      `lives there: start \`maestro host\` on ${agent.owner_host} and ${verb === 'followup' ? 'follow up' : 'try'} again, or close_agent it`,
  );
}

/** Whether the server a request is addressed to still runs: a host by its heartbeat, a local server by its process. */
async function executorAlive(deps: AgentDeps, agent: AgentRecord, server: string): Promise<boolean> {
  const host = (await deps.store.hosts.list()).find((h) => h.server === server);
  if (host) return host.state === 'live' && host.fresh;
  return server === agent.owner_server ? ownerAlive(agent) : true;
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
    if (now.state === 'done' || now.state === 'failed') return outcomeOf(now.outcome);
    if (now.state === 'pending') {
      const gone = !(await executorAlive(deps, agent, server));
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
