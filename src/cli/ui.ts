/**
 * `maestro ui`: serves the live dashboard of the project's teams until interrupted. The first
 * line of standard output is the address to open, the access token in it; the browser is opened
 * when there is a display to open it on. Actions taken in the page are the person's (`user`).
 */
import { shownUrl } from '../pg/url.js';
import { spawn } from 'node:child_process';
import { resolveDbPath } from '../bus/paths.js';
import { fromSqliteError } from '../bus/storage-errors.js';
import { createLogger, logFilePath } from '../log.js';
import { createRuntime } from '../mcp/runtime.js';
import { SHELL_USER } from '../ops/caller.js';
import { addSecretsFrom } from '../secrets.js';
import { UsageError, flag, int, parse, str } from './args.js';

const HELP = `Usage: maestro ui [--port N] [--host 127.0.0.1] [--no-open]

Serves a live dashboard of this project's teams: sessions, the agent tree with
progress, usage and budget, each agent's transcript as it runs, the message bus
with filters and search, and steering. From the page you can message an agent
or the coordinator, steer, follow up, interrupt and close agents, as 'user'.

The first line printed is the address to open; it holds this start's access
token, which every request needs. Stop with Ctrl-C.

Options:
      --port N      Port to listen on (default: any free port)
      --host ADDR   Address to listen on (default 127.0.0.1; anything else is
                    reachable from other machines, token or not: think first)
      --no-open     Do not open a browser
      --db FILE     Database (default: $MAESTRO_DB, else <git top-level>/.maestro/maestro.db)
  -h, --help        Show this help`;

export async function runUi(argv: string[]): Promise<number> {
  const cmd = 'maestro ui';
  const parsed = parse(
    cmd,
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      'no-open': { type: 'boolean' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = int(cmd, parsed, 'port') ?? 0;
  if (port < 0 || port > 65535) throw new UsageError(`${cmd}: --port expects 0 to 65535, got ${port}`);
  const host = str(parsed, 'host') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new UsageError(`${cmd}: --host expects an address or name, got '${host}'`);

  const dbFile = resolveDbPath({ db: str(parsed, 'db') }).file;
  addSecretsFrom(process.env);
  const logger = createLogger({ file: logFilePath(dbFile), name: 'maestro-ui' });
  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime({ dbFile, logger, fallbackCaller: SHELL_USER, open: { create: false } });
  } catch (error) {
    throw fromSqliteError(dbFile, error);
  }
  const { startUiServer } = await import('../ui/server.js');
  let server: Awaited<ReturnType<typeof startUiServer>>;
  try {
    server = await startUiServer({ deps: runtime.deps.agents, caller: runtime.deps.caller, host, port, logger });
  } catch (error) {
    await runtime.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`${cmd}: port ${port} is in use; pick another or leave --port out`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new UsageError(`${cmd}: cannot listen on ${host}: not an address of this machine`);
    throw error;
  }
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(`maestro ui: serving ${shownUrl(dbFile)}; Ctrl-C stops it\n`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(host))
    process.stderr.write(`maestro ui: listening on ${host}: other machines can reach it; keep the address private\n`);
  if (!flag(parsed, 'no-open')) openBrowser(server.url);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
  });
  await server.close();
  await runtime.close();
  return 0;
}

/** Opens the address in the desktop's browser, where there is a desktop; quietly does nothing else. */
function openBrowser(url: string): void {
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? 'explorer'
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? 'xdg-open'
          : null;
  if (!opener) return;
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener installed: the address is printed.
  }
}
