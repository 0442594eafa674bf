/**
 * Hosts and spawn requests on PostgreSQL (store/host-store.ts says what each call does). A claim
 * is the queue idiom of the engine: the oldest pending request this host may take, locked with
 * `FOR UPDATE SKIP LOCKED`, so hosts on several machines claiming at once each take a different
 * one and none waits for another. Claims and heartbeats touch neither the feed nor anything it
 * guards, so they run without the store's write lock (pg-store.ts, LOCK_FREE).
 */
import {
  hostRecordSchema,
  nameTaken,
  spawnRequestSchema,
  type HostRecord,
  type HostStore,
  type SpawnRequest,
} from '../store/host-store.js';
import { MaestroError } from '../errors.js';
import type { Sql, Tables } from './sql.js';

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const FRESH = `(heartbeat_at >= clock_timestamp() - lost_after_ms * interval '1 millisecond')`;
const HOST_COLUMNS = `name, machine, labels, capacity, server, pid, state, heartbeat_ms, lost_after_ms,
  ${iso('started_at')} AS started_at, ${iso('heartbeat_at')} AS heartbeat_at, ${FRESH} AS fresh`;
const SPAWN_COLUMNS = `id, session_id, agent_id, host, labels, text, task, cwd, state, taken_by, error,
  ${iso('requested_at')} AS requested_at, ${iso('done_at')} AS done_at`;

const toHost = (row: unknown): HostRecord => hostRecordSchema.parse(row);
const toSpawn = (row: unknown): SpawnRequest => spawnRequestSchema.parse(row);

const MOVE = `UPDATE spawn_requests SET state = $1, error = $2, done_at = clock_timestamp() WHERE id = $3 AND state = $4`;

export function createPgHostTables(): Tables<HostStore> {
  const get = async (sql: Sql, name: string) => {
    const row = await sql.one(`SELECT ${HOST_COLUMNS} FROM hosts WHERE name = $1`, [name]);
    return row ? toHost(row) : null;
  };

  return {
    async register(sql, host, replacing = null) {
      const changed = await sql.run(
        `INSERT INTO hosts (name, machine, labels, capacity, server, pid, state, heartbeat_ms, lost_after_ms,
           started_at, heartbeat_at)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, 'live', $7, $8, clock_timestamp(), clock_timestamp())
         ON CONFLICT (name) DO UPDATE SET machine = excluded.machine, labels = excluded.labels,
           capacity = excluded.capacity, server = excluded.server, pid = excluded.pid, state = 'live',
           heartbeat_ms = excluded.heartbeat_ms, lost_after_ms = excluded.lost_after_ms,
           started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at
         WHERE hosts.state <> 'live' OR hosts.server = excluded.server OR hosts.server = $9`,
        [
          host.name,
          host.machine,
          JSON.stringify(host.labels),
          host.capacity,
          host.server,
          host.pid,
          host.heartbeat_ms,
          host.lost_after_ms,
          replacing,
        ],
      );
      const now = (await get(sql, host.name))!;
      if (changed === 0) throw nameTaken(now);
      return now;
    },

    heartbeat: async (sql, name, server) =>
      (await sql.run(
        `UPDATE hosts SET heartbeat_at = clock_timestamp() WHERE name = $1 AND server = $2 AND state = 'live'`,
        [name, server],
      )) === 1,

    async unregister(sql, name, server) {
      await sql.run(`UPDATE hosts SET state = 'stopped' WHERE name = $1 AND server = $2 AND state = 'live'`, [
        name,
        server,
      ]);
    },

    get,

    list: async (sql) => (await sql.rows(`SELECT ${HOST_COLUMNS} FROM hosts ORDER BY name`)).map(toHost),

    markLost: async (sql) =>
      (
        await sql.rows(
          `UPDATE hosts SET state = 'lost' WHERE state = 'live' AND NOT ${FRESH} RETURNING ${HOST_COLUMNS}`,
        )
      ).map(toHost),

    async requestSpawn(sql, request) {
      const row = await sql.one(
        `INSERT INTO spawn_requests (session_id, agent_id, host, labels, text, task, cwd, state, requested_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, 'pending', clock_timestamp()) RETURNING ${SPAWN_COLUMNS}`,
        [
          request.session_id,
          request.agent_id,
          request.host,
          JSON.stringify(request.labels),
          request.text,
          request.task,
          request.cwd,
        ],
      );
      return toSpawn(row);
    },

    async getSpawn(sql, id) {
      const row = await sql.one(`SELECT ${SPAWN_COLUMNS} FROM spawn_requests WHERE id = $1`, [id]);
      return row ? toSpawn(row) : null;
    },

    async claimSpawn(sql, host) {
      const row = await sql.one(
        `UPDATE spawn_requests SET state = 'taken', taken_by = $1
          WHERE state = 'pending' AND id = (
            SELECT id FROM spawn_requests
             WHERE state = 'pending' AND (host = $1 OR (host IS NULL AND labels <@ $2::jsonb))
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING ${SPAWN_COLUMNS}`,
        [host.name, JSON.stringify(host.labels)],
      );
      return row ? toSpawn(row) : null;
    },

    async finishSpawn(sql, id, error) {
      if ((await sql.run(MOVE, [error === null ? 'done' : 'failed', error, id, 'taken'])) === 0) {
        throw new MaestroError('conflict', `spawn request ${id} is not taken; only a taken request can be finished`);
      }
    },

    expireSpawn: async (sql, id, reason) => (await sql.run(MOVE, ['expired', reason, id, 'pending'])) === 1,
  };
}
