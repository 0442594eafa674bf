/**
 * `maestro mcp`: serve the tools over stdio. stdout carries protocol only; logs go to a file
 * (or stderr). Ends cleanly when the client closes stdin or on SIGTERM / SIGINT.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { openDatabase } from '../bus/db.js';
import { createMessageStore } from '../bus/message-store.js';
import { resolveDbPath } from '../bus/paths.js';
import { createLogger, logFilePath } from '../log.js';
import { COORDINATOR } from '../ops/caller.js';
import { createServer } from './server.js';

export async function serveStdio(options: { db?: string | undefined }): Promise<void> {
  const location = resolveDbPath({ db: options.db });
  const logger = createLogger({ file: logFilePath(location.file), name: 'maestro-mcp' });
  const db = openDatabase(location.file);
  const { server, cleanup } = createServer({ store: createMessageStore(db), caller: COORDINATOR, logger });

  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'server stopping');
    await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
    db.close();
    process.exit(0);
  };

  process.stdin.on('end', () => void shutdown('stdin closed'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await server.connect(new StdioServerTransport());
  logger.info({ db: location.file }, 'server ready');
}
