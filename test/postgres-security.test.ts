/**
 * A team database as a real deployment has it: TLS with a certificate the client verifies, and a
 * password login (scram-sha-256) whose password is in PGPASSWORD, never in the URL. The shell
 * commands and a worker's own server reach it so; a wrong password and a missing certificate are
 * clear errors; and the password is found in neither maestro's log nor the database.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maestro } from './helpers/cli.js';
import { findPgBin, freshDatabase, startPostgres, type PgServer } from './helpers/postgres.js';
import { startProject, worker } from './helpers/project.js';

const found = await findPgBin();
if ('missing' in found) process.stderr.write(`skipping the PostgreSQL security tests: ${found.missing}\n`);

const PASSWORD = 'Tr0ub4dor-and-3';

/** A certificate authority and a server certificate for 127.0.0.1 signed by it. */
function certificates(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=maestro test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > san.ext'], { cwd: dir });
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  );
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  return { ca: path.join(dir, 'ca.pem'), crt: read('server.crt'), key: read('server.key') };
}

describe.skipIf('missing' in found)('a team database behind TLS and a password', () => {
  let server: PgServer;
  let ca: string;
  let url: string;
  beforeAll(async () => {
    const certs = certificates(mkdtempSync(path.join(os.tmpdir(), 'maestro-tls-')));
    ca = certs.ca;
    server = await startPostgres({
      files: { 'server.crt': certs.crt, 'server.key': certs.key },
      settings: ['ssl=on', 'ssl_cert_file=server.crt', 'ssl_key_file=server.key', 'password_encryption=scram-sha-256'],
      // The team's role logs in over TLS with its password only; the test's own superuser as before.
      hba: ['hostssl all maestro 127.0.0.1/32 scram-sha-256', 'host all maestro 127.0.0.1/32 reject'],
    });
    const db = await freshDatabase(server, `secure_${process.pid}`);
    const admin = new pg.Client({ connectionString: db });
    await admin.connect();
    await admin.query(`CREATE ROLE maestro LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`GRANT ALL ON SCHEMA public TO maestro`);
    await admin.end();
    url = `${db.replace('postgres@', 'maestro@')}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('works over verified TLS with the password from PGPASSWORD, and the password is in no log and nowhere in the database', async () => {
    const env = { MAESTRO_DB: url, PGPASSWORD: PASSWORD };
    const logged = await maestro(['msg', 'log', '-s', 'TC-tls', 'over TLS'], { env });
    expect(logged.code, logged.stderr).toBe(0);

    // A worker's own server reaches the database the same way: PGPASSWORD is passed to it.
    const p = await startProject({ config: { database: url }, env: { PGPASSWORD: PASSWORD } });
    await p.ok('spawn_agent', worker('SAFE', { progress: ['reached it'], report: 'ok' }, { session_id: 'TC-tls' }));
    expect(await p.ok('wait_agent', { timeout_ms: 60_000, session_id: 'TC-tls' })).toMatchObject({
      agents: { SAFE: { result: 'ok' } },
    });
    const listed = await maestro(['msg', 'list', '-s', 'TC-tls', '--json'], { env });
    expect(listed.stdout).toContain('reached it');

    expect(readFileSync(p.logFile, 'utf8')).not.toContain(PASSWORD);
    const admin = new pg.Client({ connectionString: url.split('?')[0]!.replace('maestro@', 'postgres@') });
    await admin.connect();
    try {
      const tables = await admin.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
      );
      for (const { table_name } of tables.rows) {
        const rows = await admin.query(`SELECT * FROM ${admin.escapeIdentifier(table_name)}`);
        expect(JSON.stringify(rows.rows), table_name).not.toContain(PASSWORD);
      }
      expect(tables.rows.length).toBeGreaterThan(10);
    } finally {
      await admin.end();
    }
  });

  it('a wrong password and an unverifiable server are clear errors that show no password', async () => {
    const wrong = await maestro(['msg', 'list', '-s', 'TC-tls'], {
      env: { MAESTRO_DB: url, PGPASSWORD: 'not-it-at-all' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the login .*give the password in PGPASSWORD or ~\/\.pgpass/);
    expect(wrong.stderr).not.toContain('not-it-at-all');

    const inUrl = url
      .replace('maestro@', `maestro:${PASSWORD}@`)
      .replace(encodeURIComponent(ca), '/nonexistent/ca.pem');
    const unverified = await maestro(['msg', 'list', '-s', 'TC-tls'], { env: { MAESTRO_DB: inUrl } });
    expect(unverified.code).toBe(1);
    expect(unverified.stderr).toContain('maestro:***@127.0.0.1');
    expect(unverified.stderr).toContain('names sslrootcert=/nonexistent/ca.pem, which cannot be read (ENOENT)');
    expect(unverified.stderr).not.toContain(PASSWORD);
  });
});
