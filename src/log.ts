/**
 * Logging through pino, never to stdout: stdout of `maestro mcp` belongs to the protocol.
 * By default logs go to `logs/maestro.log` beside the database (owner-only); `MAESTRO_LOG_FILE`
 * picks another file, or `-` for stderr. `MAESTRO_LOG_LEVEL` sets the level (default info).
 * Secrets are kept out twice: by field name (REDACT_PATHS) and by value (secrets.ts).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { resolveDbPath } from './bus/paths.js';
import { CENSOR, scrub } from './secrets.js';

export type { Logger };

/** Field names whose values never reach a log line (HTTP headers, credentials, API key variables). */
const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'secret',
  'password',
  'authorization',
  'cookie',
  'x-api-key',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
];

/**
 * pino's paths match one level each (`*` is one key, not any depth), so every key is listed at
 * the top level and two levels down: `{ apiKey }`, `{ env: { OPENAI_API_KEY } }`,
 * `{ req: { headers: { authorization } } }`. Deeper values and values inside strings are caught
 * by scrubbing the known secret values from the finished line (secrets.ts).
 */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const step = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const dot = step.startsWith('[') ? '' : '.';
  return [step, `*${dot}${step}`, `*.*${dot}${step}`];
});

export function logFilePath(dbFile: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = env.MAESTRO_LOG_FILE;
  if (configured === '-') return null;
  return configured
    ? path.resolve(configured)
    : path.join(resolveDbPath({ db: dbFile, env }).dataDir, 'logs', 'maestro.log');
}

export function createLogger(options: { file: string | null; level?: string | undefined; name?: string }): Logger {
  const level = options.level ?? process.env.MAESTRO_LOG_LEVEL ?? 'info';
  const base = {
    level,
    name: options.name ?? 'maestro',
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    hooks: { streamWrite: scrub },
  };
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
