/**
 * Assembles one server process's runtime from its environment: the database, the stores, the
 * project configuration, who the server acts for (the coordinator, or the worker it runs inside),
 * the supervisor of the workers it starts, and the order in which it all stops.
 */
import { loadConfig } from '../agents/config.js';
import { thisClient } from '../agents/client.js';
import { resolveCaller } from '../agents/identity.js';
import { createCurrentSession, openTeams, type SessionMemory } from '../agents/session.js';
import { Supervisor } from '../agents/supervisor.js';
import { resolveDbPath } from '../bus/paths.js';
import { openStore, type OpenOptions } from '../store/open.js';
import { createBackendRegistry, type BackendRegistry } from '../backends/registry.js';
import type { Logger } from '../log.js';
import { serverCommand } from '../package-root.js';
import { COORDINATOR, type Caller } from '../ops/caller.js';
import type { AgentStore } from '../store/agent-store.js';
import { executeControl } from '../ops/agents/control.js';
import { serveControlRequests } from '../ops/agents/control-requests.js';
import { keepBudgets } from '../ops/budget.js';
import { sweepLostHosts } from '../ops/hosts/lost.js';
import type { RuntimeDeps } from './deps.js';

export interface RuntimeOptions {
  dbFile: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  backends?: BackendRegistry;
  /** Who this process acts for when it is not a worker: the coordinator (a server) or a person (the CLI). */
  fallbackCaller?: Caller;
  /** Whether to create a missing database and how much of it to check (db.ts). */
  open?: OpenOptions;
}

export interface Runtime {
  deps: RuntimeDeps;
  /** Stops every worker this process started, then closes the database. */
  close(): Promise<void>;
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const env = options.env ?? process.env;
  const store = await openStore(options.dbFile, options.open);
  const { messages: bus, agents } = store;
  const dataDir = resolveDbPath({ db: options.dbFile, env }).dataDir;
  let config: ReturnType<typeof loadConfig>;
  let caller: Caller;
  try {
    config = loadConfig({ dataDir, env });
    caller = await resolveCaller(env, agents, options.fallbackCaller ?? { ...COORDINATOR, clientId: thisClient() });
  } catch (error) {
    await store.close();
    throw error;
  }
  const supervisor = new Supervisor({
    agents,
    bus,
    backends:
      options.backends ?? createBackendRegistry({}, { codexTransport: config.config.backends.codex?.transport }),
    config,
    logger: options.logger,
    changes: store.changes,
    dataDir,
    dbFile: options.dbFile,
    server: serverCommand(),
    env,
  });
  // Once this process has placed a worker on a host, it too looks out for hosts gone silent.
  let hostWatch: NodeJS.Timeout | null = null;
  const watchHosts = () => {
    if (hostWatch) return;
    const sweep = () =>
      void sweepLostHosts(agentDeps).catch((error: unknown) =>
        options.logger.warn({ err: error }, 'looking for lost hosts failed'),
      );
    hostWatch = setInterval(sweep, config.config.limits.host_heartbeat_ms);
    hostWatch.unref();
  };
  const agentDeps = {
    store,
    agents,
    bus,
    supervisor,
    config,
    logger: options.logger,
    session: createCurrentSession(env, () => openTeams(agents), sessionMemory(agents, caller)),
    dataDir,
    watchHosts,
  };
  // Requests other servers address to this one are looked for once it has run a worker.
  supervisor.onChangeWhileOwning(serveControlRequests(agentDeps, executeControl));
  const budgets = keepBudgets(agentDeps);
  supervisor.onTurnEnded((agentId) => budgets.turnEnded(agentId));
  return {
    deps: { bus, caller, logger: options.logger, agents: agentDeps, dbFile: options.dbFile },
    async close() {
      if (hostWatch) clearInterval(hostWatch);
      budgets.stop();
      await supervisor.shutdown();
      await store.close();
    },
  };
}

/** A top-level client's session, kept in the store under its name; agents and people keep none. */
function sessionMemory(agents: AgentStore, caller: Caller): SessionMemory | undefined {
  const { clientId } = caller;
  if (!clientId || caller.agentId) return undefined;
  return {
    get: () => agents.clientSession(clientId),
    set: (sessionId) => agents.setClientSession(clientId, sessionId),
  };
}
