/**
 * Hosts and spawn requests in SQLite (store/host-store.ts says what each call does). One machine
 * shares one SQLite file, so several `maestro host` daemons here are several hosts of one kernel
 * (MAESTRO_HOST names each); every write is one statement or one IMMEDIATE transaction, which is
 * all the claiming needs: SQLite has one writer.
 */
import { MaestroError } from '../errors.js';
import {
  hostRecordSchema,
  nameTaken,
  spawnRequestSchema,
  type HostRecord,
  type HostStore,
  type SpawnRequest,
} from '../store/host-store.js';
import type { Db } from './db.js';
import type { Synchronous } from './synchronous.js';

export type HostTables = Synchronous<HostStore>;

/** The database's clock, as the ISO text every time column holds. */
const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
const FRESH = `((julianday('now') - julianday(heartbeat_at)) * 86400000.0 <= lost_after_ms)`;
const HOST_COLUMNS = `name, machine, labels, capacity, server, pid, state, heartbeat_ms, lost_after_ms, started_at,
  heartbeat_at, ${FRESH} AS fresh`;
const SPAWN_COLUMNS =
  'id, session_id, agent_id, host, labels, text, task, cwd, state, taken_by, error, requested_at, done_at';

const toHost = (row: { labels: string; fresh: number }): HostRecord =>
  hostRecordSchema.parse({ ...row, labels: JSON.parse(row.labels) as unknown, fresh: row.fresh === 1 });
const toSpawn = (row: { labels: string }): SpawnRequest =>
  spawnRequestSchema.parse({ ...row, labels: JSON.parse(row.labels) as unknown });

export function createHostTables(db: Db): HostTables {
  const byName = db.prepare<[string], { labels: string; fresh: number }>(
    `SELECT ${HOST_COLUMNS} FROM hosts WHERE name = ?`,
  );
  const all = db.prepare<[], { labels: string; fresh: number }>(`SELECT ${HOST_COLUMNS} FROM hosts ORDER BY name`);
  const upsert = db.prepare(
    `INSERT INTO hosts (name, machine, labels, capacity, server, pid, state, heartbeat_ms, lost_after_ms, started_at,
       heartbeat_at)
     VALUES (@name, @machine, @labels, @capacity, @server, @pid, 'live', @heartbeat_ms, @lost_after_ms, ${NOW}, ${NOW})
     ON CONFLICT (name) DO UPDATE SET machine = excluded.machine, labels = excluded.labels,
       capacity = excluded.capacity, server = excluded.server, pid = excluded.pid, state = 'live',
       heartbeat_ms = excluded.heartbeat_ms, lost_after_ms = excluded.lost_after_ms,
       started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at
     WHERE hosts.state <> 'live' OR hosts.server IN (excluded.server, @replacing)`,
  );
  const beat = db.prepare<[string, string]>(
    `UPDATE hosts SET heartbeat_at = ${NOW} WHERE name = ? AND server = ? AND state = 'live'`,
  );
  const stop = db.prepare<[string, string]>(
    `UPDATE hosts SET state = 'stopped' WHERE name = ? AND server = ? AND state = 'live'`,
  );
  const lose = db.prepare<[], { labels: string; fresh: number }>(
    `UPDATE hosts SET state = 'lost' WHERE state = 'live' AND NOT ${FRESH} RETURNING ${HOST_COLUMNS}`,
  );
  const insertSpawn = db.prepare<[Record<string, unknown>], { labels: string }>(
    `INSERT INTO spawn_requests (session_id, agent_id, host, labels, text, task, cwd, state, requested_at)
     VALUES (@session_id, @agent_id, @host, @labels, @text, @task, @cwd, 'pending', ${NOW})
     RETURNING ${SPAWN_COLUMNS}`,
  );
  const spawnById = db.prepare<[number], { labels: string }>(
    `SELECT ${SPAWN_COLUMNS} FROM spawn_requests WHERE id = ?`,
  );
  const claim = db.prepare<[{ name: string; labels: string }], { labels: string }>(
    `UPDATE spawn_requests SET state = 'taken', taken_by = @name
      WHERE id = (SELECT r.id FROM spawn_requests r
                   WHERE r.state = 'pending'
                     AND (r.host = @name OR (r.host IS NULL AND NOT EXISTS (
                           SELECT 1 FROM json_each(r.labels) l WHERE l.value NOT IN (SELECT value FROM json_each(@labels)))))
                   ORDER BY r.id LIMIT 1)
     RETURNING ${SPAWN_COLUMNS}`,
  );
  const move = db.prepare<[string, string | null, number, string]>(
    `UPDATE spawn_requests SET state = ?, error = ?, done_at = ${NOW} WHERE id = ? AND state = ?`,
  );

  const get = (name: string) => {
    const row = byName.get(name);
    return row ? toHost(row) : null;
  };

  return {
    register(host, replacing = null) {
      const changed = upsert.run({ ...host, labels: JSON.stringify(host.labels), replacing }).changes;
      const now = get(host.name)!;
      if (changed === 0) throw nameTaken(now);
      return now;
    },
    heartbeat: (name, server) => beat.run(name, server).changes === 1,
    unregister(name, server) {
      stop.run(name, server);
    },
    get,
    list: () => all.all().map(toHost),
    markLost: () => lose.all().map(toHost),
    requestSpawn: (request) => toSpawn(insertSpawn.get({ ...request, labels: JSON.stringify(request.labels) })!),
    getSpawn: (id) => {
      const row = spawnById.get(id);
      return row ? toSpawn(row) : null;
    },
    claimSpawn: (host) => {
      const row = claim.get({ name: host.name, labels: JSON.stringify(host.labels) });
      return row ? toSpawn(row) : null;
    },
    finishSpawn(id, error) {
      if (move.run(error === null ? 'done' : 'failed', error, id, 'taken').changes === 0) {
        throw new MaestroError('conflict', `spawn request ${id} is not taken; only a taken request can be finished`);
      }
    },
    expireSpawn: (id, reason) => move.run('expired', reason, id, 'pending').changes === 1,
  };
}
