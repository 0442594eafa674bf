/**
 * Reaching PostgreSQL: a `postgres://` URL (TLS and certificates through its `sslmode`,
 * `sslrootcert`, `sslcert` and `sslkey` parameters, as pg reads them; the password from the URL,
 * PGPASSWORD or ~/.pgpass), the pool's settings, and PostgreSQL's failures as users read them.
 *
 * Invariants: a password never appears in what maestro writes — the URL is shown with it masked,
 * and its value is scrubbed from every log line (secrets.ts); every call fails within a bound when
 * the server is away (CONNECT_TIMEOUT_MS, QUERY_TIMEOUT_MS) with an error that says so, and the
 * pool connects again by itself once the server is back.
 */
import { accessSync, constants } from 'node:fs';
import pg from 'pg';
import { MaestroError } from '../errors.js';
import { addSecret } from '../secrets.js';
import { shownUrl } from './url.js';

export { isPostgresUrl, shownUrl } from './url.js';

/** How long a call waits for a connection before it fails. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long one statement may take, a wait for the write lock included, before it fails. */
export const QUERY_TIMEOUT_MS = 30_000;
/** A transaction whose client vanished (a killed process, a lost network) stops holding the write lock after this. */
const IDLE_IN_TRANSACTION_MS = 30_000;
const POOL_SIZE = 10;

/** bigint (counts, sums, sequence numbers) and numeric as numbers: every value maestro keeps fits. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
      ? Number
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function clientConfig(url: string): pg.ClientConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MaestroError(
      'invalid_input',
      `the database URL ${shownUrl(url)} is not a URL; write it as postgres://user@host:5432/database`,
    );
  }
  if (parsed.password) addSecret(decodeURIComponent(parsed.password));
  // pg reads these files when it connects; one it cannot read is the URL's mistake, said as such.
  for (const name of ['sslrootcert', 'sslcert', 'sslkey']) {
    const file = parsed.searchParams.get(name);
    if (file === null) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      throw new MaestroError(
        'invalid_input',
        `the database URL ${shownUrl(url)} names ${name}=${file}, which cannot be read (${(error as NodeJS.ErrnoException).code}); give the path of a PEM file`,
      );
    }
  }
  return {
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
    application_name: 'maestro',
    types,
  };
}

/** The pool of a store named `instance`: each connection says so (maestro.instance), and its NOTIFYs name it. */
export function poolConfig(url: string, instance: string): pg.PoolConfig {
  const config = clientConfig(url);
  return {
    ...config,
    options: `${config.options} -c maestro.instance=${instance}`,
    max: POOL_SIZE,
    idleTimeoutMillis: 30_000,
  };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** Whether `error` says the server could not be reached or the connection was lost (not that a statement was wrong). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^(08|57P0[123])/.test(code))) return true;
  const message = (error as Error | null)?.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/** A PostgreSQL failure as a MaestroError naming the server (password masked) and what to do; a MaestroError as it was. */
export function pgFailure(shown: string, error: unknown): unknown {
  if (error instanceof MaestroError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as Error | null)?.message ?? String(error);
  if (isUnreachable(error)) {
    return new MaestroError(
      'storage',
      `the PostgreSQL database ${shown} cannot be reached (${message}); maestro connects again by itself once it is back`,
      { cause: error },
    );
  }
  if (code === '28P01' || code === '28000') {
    return new MaestroError(
      'storage',
      `the PostgreSQL database ${shown} refused the login (${message}); give the password in PGPASSWORD or ~/.pgpass, or a client certificate with sslcert and sslkey`,
      { cause: error },
    );
  }
  if (code === '3D000') {
    return new MaestroError('storage', `${message} at ${shown}; create it first (createdb), maestro makes its tables`, {
      cause: error,
    });
  }
  if (code === '22021' || code === '22P05') {
    return new MaestroError(
      'invalid_input',
      `PostgreSQL cannot store this text: ${message}. A NUL character (\\u0000) is not allowed in messages on PostgreSQL`,
      { cause: error },
    );
  }
  if (code === '57014') {
    return new MaestroError('timeout', `the PostgreSQL database ${shown} did not answer in time (${message})`, {
      cause: error,
    });
  }
  return error;
}
