/**
 * `maestro host`: the daemon that makes this machine part of a team whose database is shared
 * (PostgreSQL). It registers the machine under a name with its labels and capacity, heartbeats,
 * claims the spawn requests addressed to it (ops/hosts/serve.ts), carries out the control requests
 * for the agents it runs, looks out for hosts that went silent (ops/hosts/lost.ts), and on SIGTERM
 * or SIGINT stops every worker it started, then says it has stopped.
 */
import { availableParallelism } from 'node:os';
import { reconcileOrphans } from '../agents/reconcile.js';
import { HOST, SELF, orphanedHere, sameProcess } from '../agents/liveness.js';
import { resolveDbPath } from '../bus/paths.js';
import { MaestroError, errorMessage } from '../errors.js';
import { createLogger, logFilePath } from '../log.js';
import { createRuntime } from '../mcp/runtime.js';
import { sweepLostHosts } from '../ops/hosts/lost.js';
import { serveSpawnRequests } from '../ops/hosts/serve.js';
import { COORDINATOR } from '../ops/caller.js';
import { shownUrl } from '../pg/url.js';
import type { HostRecord, NewHost } from '../store/host-store.js';
import { UsageError, flag, int, parse, str } from './args.js';

export const HOST_HELP = `Usage: maestro host [--name NAME] [--labels a,b] [--capacity N] [--db URL]

Run this machine's workers for a team whose database is shared (a PostgreSQL URL in
MAESTRO_DB or .maestro/config.json "database"). A coordinator on any machine places a
worker here with spawn_agent {"host": "NAME"} or {"labels": [...]}; this daemon starts and
supervises it, and stops every worker it started when it stops (SIGTERM, Ctrl-C).

Options:
      --name NAME      This host's name (default: $MAESTRO_HOST, else the host name: ${HOST})
      --labels a,b     What this machine offers, for spawn_agent {"labels": [...]}
      --capacity N     Workers it runs at once (default: ${availableParallelism()}, its cores)
      --db URL         Database (default: $MAESTRO_DB, else .maestro/config.json "database")
  -h, --help           Show this help`;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export async function runHost(argv: string[]): Promise<number> {
  const parsed = parse(
    'maestro host',
    argv,
    {
      name: { type: 'string' },
      labels: { type: 'string' },
      capacity: { type: 'string' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HOST_HELP}\n`);
    return 0;
  }
  const name = str(parsed, 'name') ?? HOST;
  if (!NAME.test(name))
    throw new UsageError(`maestro host: --name ${name} is not a host name (letters, digits, _ . -)`);
  const labels = (str(parsed, 'labels') ?? '')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  const bad = labels.find((l) => !NAME.test(l));
  if (bad !== undefined) throw new UsageError(`maestro host: label ${bad} is not a label (letters, digits, _ . -)`);
  const capacity = int('maestro host', parsed, 'capacity') ?? availableParallelism();
  if (capacity < 1) throw new UsageError('maestro host: --capacity must be 1 or more');

  const location = resolveDbPath({ db: str(parsed, 'db') });
  const logger = createLogger({ file: logFilePath(location.file), name: 'maestro-host' });
  const runtime = await createRuntime({ dbFile: location.file, logger, fallbackCaller: COORDINATOR });
  const deps = runtime.deps.agents;
  const { limits } = deps.config.config;
  const { hosts } = deps.store;

  // What a host that ran here before left behind is stopped first: this machine's only.
  await reconcileOrphans(deps.agents, logger, limits.stop_grace_ms, location.file);

  const me: NewHost = {
    name,
    machine: HOST,
    labels,
    capacity,
    server: SELF.server,
    pid: process.pid,
    heartbeat_ms: limits.host_heartbeat_ms,
    lost_after_ms: Math.max(limits.host_lost_ms, 3 * limits.host_heartbeat_ms),
  };
  let record: HostRecord;
  try {
    record = await register(me);
  } catch (error) {
    await runtime.close();
    throw error;
  }

  const spawns = serveSpawnRequests(deps, { name, labels, capacity });
  const unsubscribe = deps.store.changes.subscribe(() => spawns.kick());
  spawns.kick();
  // Control requests for this machine's agents, through the runtime's own serving, from now on.
  deps.supervisor.watchAlways();

  let beating = false;
  const beat = async () => {
    if (beating) return;
    beating = true;
    try {
      if (!(await hosts.heartbeat(name, SELF.server))) {
        // Marked lost (too long silent) or taken over: its agents were put right by whoever saw
        // it; the workers it still runs are no longer its own to run.
        logger.error({ host: name }, 'this host was marked lost; stopping its workers and registering again');
        for (const id of deps.supervisor.liveAgentIds()) await deps.supervisor.stop(id, 'its host was marked lost');
        record = await register(me);
      }
      await sweepLostHosts(deps);
      // A worker's own maestro server that died here (its worker was killed, say) leaves what it
      // ran without a supervisor, and no server on another machine can tell: this host puts it right.
      if ((await deps.agents.list({})).some(orphanedHere))
        await reconcileOrphans(deps.agents, logger, limits.stop_grace_ms, location.file);
    } catch (error) {
      logger.warn({ err: error }, 'heartbeat failed; trying again');
    } finally {
      beating = false;
    }
  };
  const heartbeat = setInterval(() => void beat(), limits.host_heartbeat_ms);

  const where = shownUrl(location.file);
  process.stdout.write(
    `maestro host ${record.name} on ${record.machine}: capacity ${capacity}` +
      `${labels.length ? `, labels ${labels.join(', ')}` : ''}; database ${where}\n`,
  );
  logger.info({ host: name, machine: HOST, labels, capacity, db: where }, 'host ready');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (reason: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ reason }, 'host stopping');
      clearInterval(heartbeat);
      unsubscribe();
      await spawns.settled();
      let code = 0;
      try {
        await hosts.unregister(name, SELF.server);
      } catch (error) {
        logger.warn({ err: error }, 'could not record that this host stopped');
      }
      try {
        await runtime.close();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping workers');
        process.stderr.write(`maestro host: ${errorMessage(error)}\n`);
        code = 1;
      }
      process.stdout.write(`maestro host ${name} stopped (${reason})\n`);
      resolve(code);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });

  async function register(host: NewHost): Promise<HostRecord> {
    try {
      return await hosts.register(host);
    } catch (error) {
      const holder = await hosts.get(host.name);
      // A host of this machine that died without stopping: its process says so, not its heartbeat.
      if (
        error instanceof MaestroError &&
        error.code === 'conflict' &&
        holder?.machine === HOST &&
        !sameProcess(holder.pid, null)
      ) {
        return hosts.register(host, holder.server);
      }
      throw error;
    }
  }
}
