/**
 * `maestro mcp`: serve the tools over stdio. stdout carries protocol only; logs go to a file
 * (or stderr). When the client closes stdin, or on SIGTERM / SIGINT, the connection is closed
 * first (a wait still in progress is aborted and takes no news), then every worker this server
 * started is stopped before the process exits.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { resolveDbPath } from '../bus/paths.js';
import { createLogger, logFilePath } from '../log.js';
import { reconcileOrphans } from '../agents/reconcile.js';
import { resumeQueuedFollowups } from '../ops/agents/resume.js';
import { createRuntime } from './runtime.js';
import { createServer } from './server.js';

export async function serveStdio(options: { db?: string | undefined }): Promise<void> {
  const location = resolveDbPath({ db: options.db });
  const logger = createLogger({ file: logFilePath(location.file), name: 'maestro-mcp' });
  // The coordinator's server checks the whole file once (small databases; see db.ts); the
  // servers of workers, started by the dozen, check the small tables only.
  const check = process.env.MAESTRO_AGENT_ID ? 'vital' : 'full';
  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime({ dbFile: location.file, logger, open: { check } });
  } catch (error) {
    // A damaged database stops the server before it serves anything: say why in the log too,
    // where a person looks when the client only shows "failed to start".
    logger.error({ err: error, db: location.file }, 'cannot start');
    throw error;
  }
  // Workers a dead server left behind are stopped and their turns closed before anything else.
  await reconcileOrphans(
    runtime.deps.agents.agents,
    logger,
    runtime.deps.agents.config.config.limits.stop_grace_ms,
    location.file,
  );
  // Then follow-ups such a server left queued, for agents this server's caller is parent to.
  await resumeQueuedFollowups(runtime.deps.agents, runtime.deps.caller).catch((error: unknown) =>
    logger.error({ err: error }, 'resuming queued follow-ups failed'),
  );
  const { server, cleanup } = createServer(runtime.deps);

  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'server stopping');
    // The connection first: stopping workers ends their turns, and a wait nobody hears any more
    // must not take that news (the next server's wait reports it).
    await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
    await runtime.close().catch((error: unknown) => logger.error({ err: error }, 'error while stopping workers'));
    process.exit(0);
  };

  process.stdin.on('end', () => void shutdown('stdin closed'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await server.connect(new StdioServerTransport());
  logger.info({ db: location.file, caller: runtime.deps.caller.role }, 'server ready');
}
