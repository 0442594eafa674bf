/**
 * Logging through pino, never to stdout: stdout of `maestro mcp` belongs to the protocol.
 * By default logs go to `logs/maestro.log` beside the database (owner-only); `MAESTRO_LOG_FILE`
 * picks another file, or `-` for stderr. `MAESTRO_LOG_LEVEL` sets the level (default info).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, however deep they are nested. */
export const REDACT_PATHS = [
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.ANTHROPIC_API_KEY',
  '*.OPENAI_API_KEY',
  '*.MAESTRO_AGENT_SECRET',
];

export function logFilePath(dbFile: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = env.MAESTRO_LOG_FILE;
  if (configured === '-') return null;
  return configured ? path.resolve(configured) : path.join(path.dirname(dbFile), 'logs', 'maestro.log');
}

export function createLogger(options: { file: string | null; level?: string | undefined; name?: string }): Logger {
  const level = options.level ?? process.env.MAESTRO_LOG_LEVEL ?? 'info';
  const base = { level, name: options.name ?? 'maestro', redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.file === null) return pino(base, pino.destination({ dest: 2, sync: true }));
  const dir = path.dirname(options.file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(options.file)) {
    closeSync(openSync(options.file, 'a', 0o600));
    chmodSync(options.file, 0o600);
  }
  return pino(base, pino.destination({ dest: options.file, sync: true }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
