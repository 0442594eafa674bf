/**
 * Hosts and the spawns addressed to them. A host is a `maestro host` daemon on one machine: it
 * registers under a name with its labels and capacity, heartbeats, and claims the spawn requests
 * a coordinator's server writes for it (`spawn_agent {host}` or `{labels}`). Liveness is judged
 * on the database's clock, never on a machine's own: the machines of a team need not agree on the
 * time. A host whose heartbeat is older than the bound it registered with is lost: one caller of
 * `markLost` takes it (its agents are then put right, ops/hosts/lost.ts), and its next heartbeat
 * tells it so.
 */
import { z } from 'zod';
import { MaestroError } from '../errors.js';

export const HOST_STATES = ['live', 'stopped', 'lost'] as const;

export const hostRecordSchema = z.object({
  name: z.string(),
  /** The machine identity the host's processes are recorded under (agents.owner_host). */
  machine: z.string(),
  labels: z.array(z.string()),
  capacity: z.number().int(),
  /** The host process's server instance id: control requests for its agents are addressed to it. */
  server: z.string(),
  pid: z.number().int(),
  state: z.enum(HOST_STATES),
  heartbeat_ms: z.number().int(),
  lost_after_ms: z.number().int(),
  started_at: z.string(),
  heartbeat_at: z.string(),
  /** Whether its heartbeat is within its bound now, by the database's clock. */
  fresh: z.boolean(),
});
export type HostRecord = z.infer<typeof hostRecordSchema>;

export type NewHost = Pick<
  HostRecord,
  'name' | 'machine' | 'labels' | 'capacity' | 'server' | 'pid' | 'heartbeat_ms' | 'lost_after_ms'
>;

export const SPAWN_STATES = ['pending', 'taken', 'done', 'failed', 'expired'] as const;

export const spawnRequestSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  agent_id: z.string(),
  /** The host it is addressed to; null: any live host with every one of `labels`. */
  host: z.string().nullable(),
  labels: z.array(z.string()),
  /** The first turn's text (what the worker reads) and the task as given (what is recorded). */
  text: z.string(),
  task: z.string(),
  /** The working directory asked for, relative to the project root of the host that takes it. */
  cwd: z.string().nullable(),
  state: z.enum(SPAWN_STATES),
  taken_by: z.string().nullable(),
  error: z.string().nullable(),
  requested_at: z.string(),
  done_at: z.string().nullable(),
});
export type SpawnRequest = z.infer<typeof spawnRequestSchema>;

export type NewSpawnRequest = Pick<
  SpawnRequest,
  'session_id' | 'agent_id' | 'host' | 'labels' | 'text' | 'task' | 'cwd'
>;

export interface HostStore {
  /**
   * Registers (or re-registers) the host as live. Refused with a conflict when another live host
   * holds the name; a name whose host stopped or was lost is taken over, and so is one held by
   * the server `replacing` (a host that died without stopping, seen dead by its own machine).
   */
  register(host: NewHost, replacing?: string | null): Promise<HostRecord>;
  /** Records a heartbeat; false when the host no longer holds its name (marked lost, or taken over). */
  heartbeat(name: string, server: string): Promise<boolean>;
  /** Marks the host stopped (it stops heartbeating on purpose). */
  unregister(name: string, server: string): Promise<void>;
  get(name: string): Promise<HostRecord | null>;
  list(): Promise<HostRecord[]>;
  /** Live hosts whose heartbeat is past their bound, now marked lost; each is returned to one caller. */
  markLost(): Promise<HostRecord[]>;

  requestSpawn(request: NewSpawnRequest): Promise<SpawnRequest>;
  getSpawn(id: number): Promise<SpawnRequest | null>;
  /**
   * pending → taken by `host` (by name, or by labels it has all of), oldest first: at most one
   * claimer takes each request, and claimers on several machines do not wait for each other.
   */
  claimSpawn(host: { name: string; labels: readonly string[] }): Promise<SpawnRequest | null>;
  /** taken → done (the worker started) or failed (with why). */
  finishSpawn(id: number, error: string | null): Promise<void>;
  /** pending → expired: whether it expired (false: a host took it meanwhile). */
  expireSpawn(id: number, reason: string): Promise<boolean>;
}

/** The error of a name another live host holds. */
export function nameTaken(holder: HostRecord): MaestroError {
  return new MaestroError(
    'conflict',
    `host name ${holder.name} is held by a running maestro host (pid ${holder.pid} on ${holder.machine}); ` +
      'stop it first, or give this one another --name',
  );
}
