/**
 * Control requests on PostgreSQL, as in SQLite (bus/control-store.ts): every move of a request is
 * one UPDATE guarded by the state it moves from, so of a take and an expire racing for one
 * pending request exactly one wins, whichever machines they run on. A read leaves no event.
 */
import { controlRequestSchema, isControlRead, type ControlRequest } from '../agents/records.js';
import { MaestroError } from '../errors.js';
import type { ControlStore } from '../store/control-store.js';
import type { ControlOutcome } from '../store/records.js';
import type { PgFeed } from './feed.js';
import type { Sql, Tables } from './sql.js';

const COLUMNS = `r.id, r.session_id, r.agent_id, r.server, r.args, r.requested_by, r.requester_agent_id, r.state,
  r.outcome, r.requested_at, r.done_at, a.task_name`;

const FROM = 'FROM control_requests r JOIN agents a ON a.id = r.agent_id';

const MOVE = 'UPDATE control_requests SET state = $1, outcome = $2, done_at = $3 WHERE id = $4 AND state = $5';

const toRequest = (row: unknown): ControlRequest => controlRequestSchema.parse(row);

export function createPgControlTables(feed: PgFeed): Tables<ControlStore> {
  const now = () => new Date().toISOString();

  const get = async (sql: Sql, id: number) => {
    const row = await sql.one(`SELECT ${COLUMNS} ${FROM} WHERE r.id = $1`, [id]);
    return row === undefined ? null : toRequest(row);
  };

  const end = async (sql: Sql, request: ControlRequest, state: 'done' | 'failed' | 'expired', error: string | null) => {
    if (isControlRead(request.args)) return;
    await feed.append(sql, {
      type: 'control_done',
      session_id: request.session_id,
      agent_id: request.agent_id,
      turn: null,
      data: { task_name: request.task_name, request: request.id, verb: request.args.verb, state, error },
    });
  };

  return {
    async request(sql, request) {
      const { id } = (await sql.one<{ id: number }>(
        `INSERT INTO control_requests (session_id, agent_id, server, verb, args, requested_by, requester_agent_id,
           state, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING id`,
        [
          request.session_id,
          request.agent_id,
          request.server,
          request.args.verb,
          JSON.stringify(request.args),
          request.requested_by,
          request.requester_agent_id,
          now(),
        ],
      ))!;
      const stored = (await get(sql, id))!;
      if (isControlRead(request.args)) return stored;
      await feed.append(sql, {
        type: 'control_requested',
        session_id: request.session_id,
        agent_id: request.agent_id,
        turn: null,
        data: { task_name: stored.task_name, request: id, verb: request.args.verb, requested_by: request.requested_by },
      });
      return stored;
    },

    get,

    pending: async (sql, server) =>
      (
        await sql.rows(`SELECT ${COLUMNS} ${FROM} WHERE r.server = $1 AND r.state = 'pending' ORDER BY r.id`, [server])
      ).map(toRequest),

    take: async (sql, id) => (await sql.run(MOVE, ['taken', null, null, id, 'pending'])) === 1,

    async finish(sql, id, outcome) {
      const request = await get(sql, id);
      const state = outcome.ok ? 'done' : 'failed';
      if (!request || (await sql.run(MOVE, [state, JSON.stringify(outcome), now(), id, 'taken'])) === 0) {
        throw new MaestroError('conflict', `control request ${id} is not taken; only a taken request can be finished`);
      }
      await end(sql, request, state, outcome.ok ? null : outcome.message);
    },

    async expire(sql, id, reason) {
      const request = await get(sql, id);
      if (!request) return false;
      const outcome: ControlOutcome = { ok: false, code: 'timeout', message: reason };
      if ((await sql.run(MOVE, ['expired', JSON.stringify(outcome), now(), id, 'pending'])) === 0) return false;
      await end(sql, request, 'expired', reason);
      return true;
    },

    async discard(sql, id) {
      const request = await get(sql, id);
      if (!request || !isControlRead(request.args)) return;
      await sql.run(`DELETE FROM control_requests WHERE id = $1 AND verb = $2 AND state IN ('done', 'failed')`, [
        id,
        request.args.verb,
      ]);
    },
  };
}
