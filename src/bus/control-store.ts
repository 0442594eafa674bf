/**
 * Control requests in SQLite (store/control-store.ts says what each call does). Every move of a
 * request is one UPDATE guarded by the state it moves from, so of a take and an expire racing for
 * one pending request exactly one wins; the asking and the ending of a verb that acts on the agent
 * are appended to the feed in the same transaction (a read is not news).
 */
import { controlRequestSchema, isControlRead, type ControlRequest } from '../agents/records.js';
import { MaestroError } from '../errors.js';
import type { ControlStore } from '../store/control-store.js';
import type { ControlOutcome, NewControlRequest } from '../store/records.js';
import type { Db } from './db.js';
import type { Feed } from './feed.js';
import type { Synchronous } from './synchronous.js';

export type ControlTables = Synchronous<ControlStore>;

const COLUMNS = `r.id, r.session_id, r.agent_id, r.server, r.args, r.requested_by, r.requester_agent_id, r.state,
  r.outcome, r.requested_at, r.done_at, a.task_name`;

interface Row {
  args: string;
  outcome: string | null;
  task_name: string;
  [column: string]: unknown;
}

function rowToRequest(row: Row): ControlRequest {
  return controlRequestSchema.parse({
    ...row,
    args: JSON.parse(row.args) as unknown,
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as unknown),
  });
}

export function createControlTables(db: Db, feed: Feed): ControlTables {
  const now = () => new Date().toISOString();
  const byId = db.prepare<[number], Row>(
    `SELECT ${COLUMNS} FROM control_requests r JOIN agents a ON a.id = r.agent_id WHERE r.id = ?`,
  );
  const pendingFor = db.prepare<[string], Row>(
    `SELECT ${COLUMNS} FROM control_requests r JOIN agents a ON a.id = r.agent_id
      WHERE r.server = ? AND r.state = 'pending' ORDER BY r.id`,
  );
  const insert = db.prepare<unknown[], { id: number }>(
    `INSERT INTO control_requests (session_id, agent_id, server, verb, args, requested_by, requester_agent_id, state,
       requested_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING id`,
  );
  const move = db.prepare<[string, string | null, string | null, number, string]>(
    `UPDATE control_requests SET state = ?, outcome = ?, done_at = ? WHERE id = ? AND state = ?`,
  );
  const remove = db.prepare<[number, string]>(
    `DELETE FROM control_requests WHERE id = ? AND verb = ? AND state IN ('done', 'failed')`,
  );

  const get = (id: number) => {
    const row = byId.get(id);
    return row === undefined ? null : rowToRequest(row);
  };

  const end = (request: ControlRequest, state: 'done' | 'failed' | 'expired', error: string | null) => {
    if (isControlRead(request.args)) return;
    feed.append({
      type: 'control_done',
      session_id: request.session_id,
      agent_id: request.agent_id,
      turn: null,
      data: { task_name: request.task_name, request: request.id, verb: request.args.verb, state, error },
    });
  };

  const requestTx = db.transaction((request: NewControlRequest) => {
    const { id } = insert.get(
      request.session_id,
      request.agent_id,
      request.server,
      request.args.verb,
      JSON.stringify(request.args),
      request.requested_by,
      request.requester_agent_id,
      now(),
    )!;
    const stored = get(id)!;
    if (isControlRead(request.args)) return stored;
    feed.append({
      type: 'control_requested',
      session_id: request.session_id,
      agent_id: request.agent_id,
      turn: null,
      data: { task_name: stored.task_name, request: id, verb: request.args.verb, requested_by: request.requested_by },
    });
    return stored;
  });

  const finishTx = db.transaction((id: number, outcome: ControlOutcome) => {
    const request = get(id);
    const state = outcome.ok ? 'done' : 'failed';
    if (!request || move.run(state, JSON.stringify(outcome), now(), id, 'taken').changes === 0) {
      throw new MaestroError('conflict', `control request ${id} is not taken; only a taken request can be finished`);
    }
    end(request, state, outcome.ok ? null : outcome.message);
  });

  const expireTx = db.transaction((id: number, reason: string) => {
    const request = get(id);
    if (!request) return false;
    const outcome: ControlOutcome = { ok: false, code: 'timeout', message: reason };
    if (move.run('expired', JSON.stringify(outcome), now(), id, 'pending').changes === 0) return false;
    end(request, 'expired', reason);
    return true;
  });

  return {
    request: (request) => requestTx.immediate(request),
    get,
    pending: (server) => pendingFor.all(server).map(rowToRequest),
    take: (id) => move.run('taken', null, null, id, 'pending').changes === 1,
    finish: (id, outcome) => finishTx.immediate(id, outcome),
    expire: (id, reason) => expireTx.immediate(id, reason),
    discard: (id) => {
      const request = get(id);
      if (request && isControlRead(request.args)) remove.run(id, request.args.verb);
    },
  };
}
