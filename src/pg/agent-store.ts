/**
 * Agents on PostgreSQL, as in SQLite (bus/agent-store.ts says why every status change is one
 * compare-and-swap appended to the feed with news for the parent). Each call runs inside the
 * store's transaction (pg-store.ts); a write holds the feed's lock from its first statement, so a
 * check followed by a write (the open-agent limit, a task name taken) is never raced by another
 * machine.
 */
import { followupRecordSchema, type AgentRecord } from '../agents/records.js';
import {
  ALLOWED_FROM,
  HOLDS_SLOT_SQL,
  holdsSlot,
  isNewsForParent,
  isOpen,
  type AgentStatus,
} from '../agents/status.js';
import { AGENT_COLUMNS, TURN_COLUMNS, rowToAgent, rowToTurn } from '../bus/agent-rows.js';
import { MaestroError } from '../errors.js';
import { parentRefusal, type AgentStore } from '../store/agent-store.js';
import { preview } from '../store/feed-events.js';
import type { TransitionOutcome } from '../store/records.js';
import type { PgFeed } from './feed.js';
import { createPgNewsBox } from './news.js';
import type { Sql, Tables } from './sql.js';

const now = () => new Date().toISOString();

const agentsWhere = async (sql: Sql, rest: string, params: readonly unknown[]) =>
  (await sql.rows(`SELECT ${AGENT_COLUMNS} FROM agents ${rest}`, params)).map(rowToAgent);

const getAgent = async (sql: Sql, id: string) => (await agentsWhere(sql, 'WHERE id = $1', [id]))[0];

const openCount = async (sql: Sql, sessionId: string) =>
  (await sql.one<{ n: number }>(`SELECT count(*) AS n FROM agents WHERE session_id = $1 AND ${HOLDS_SLOT_SQL}`, [
    sessionId,
  ]))!.n;

const turnRow = (sql: Sql, id: string, turn: number) =>
  sql.one<{ status: AgentStatus; reported_at: string | null }>(
    'SELECT status, reported_at FROM agent_turns WHERE agent_id = $1 AND turn = $2',
    [id, turn],
  );

const insertTurn = (sql: Sql, ...values: [string, number, string, string, string, string | null]) =>
  sql.run(
    'INSERT INTO agent_turns (agent_id, turn, task, status, started_at, deadline_at) VALUES ($1, $2, $3, $4, $5, $6)',
    values,
  );

const INSERT_AGENT_FIELDS = [
  'id',
  'session_id',
  'task_name',
  'nickname',
  'agent_type',
  'parent_id',
  'depth',
  'path',
  'backend',
  'command',
  'model',
  'reasoning_effort',
  'cwd',
  'worktree',
  'branch',
  'owner_pid',
  'owner_start',
  'owner_host',
  'owner_server',
  'client_id',
] as const;

const INSERT_AGENT = `
  INSERT INTO agents (${INSERT_AGENT_FIELDS.join(', ')}, status, turn, last_task_message, created_at, updated_at)
  VALUES (${INSERT_AGENT_FIELDS.map((_, i) => `$${i + 1}`).join(', ')}, 'pending_init', 1,
          $${INSERT_AGENT_FIELDS.length + 1}, $${INSERT_AGENT_FIELDS.length + 2}, $${INSERT_AGENT_FIELDS.length + 2})`;

/** Extra columns a transition changes in its UPDATE, written in parameters from `$5` on. */
interface Also {
  sql: string;
  params: readonly unknown[];
}

export function createPgAgentTables(feed: PgFeed): Tables<AgentStore> {
  const news = createPgNewsBox();

  async function dropQueued(sql: Sql, agent: AgentRecord, reason: string): Promise<number> {
    const dropped = await sql.run('DELETE FROM followups WHERE agent_id = $1', [agent.id]);
    if (dropped > 0) {
      await feed.append(sql, {
        type: 'followup_dropped',
        session_id: agent.session_id,
        agent_id: agent.id,
        turn: agent.turn,
        data: { task_name: agent.task_name, count: dropped, reason },
      });
    }
    return dropped;
  }

  /** The one way a status changes; `also` adds columns to change in the same UPDATE. */
  async function applyTransition(
    sql: Sql,
    id: string,
    to: AgentStatus,
    reason: string | null,
    also: Also = { sql: '', params: [] },
  ): Promise<TransitionOutcome> {
    const before = await getAgent(sql, id);
    if (!before) return { ok: false, reason: 'not_found' };
    const allowed = ALLOWED_FROM[to];
    if (!allowed.includes(before.status)) return { ok: false, reason: 'illegal', from: before.status };
    const closed = to === 'shutdown' ? ', closed_at = $4' : '';
    const row = await sql.one(
      `UPDATE agents SET status = $2, status_reason = $3, updated_at = $4${closed}${also.sql}
        WHERE id = $1 AND status IN (${allowed.map((s) => `'${s}'`).join(', ')}) RETURNING ${AGENT_COLUMNS}`,
      [id, to, reason, now(), ...also.params],
    );
    if (row === undefined) return { ok: false, reason: 'illegal', from: before.status };
    const agent = rowToAgent(row);
    // A turn's ending is news for the parent once: a result it reported was news already.
    const ending = isNewsForParent(to) && !(await turnRow(sql, id, agent.turn))?.reported_at;
    await feed.append(
      sql,
      {
        type: 'agent',
        session_id: agent.session_id,
        agent_id: id,
        turn: agent.turn,
        data: { task_name: agent.task_name, agent_type: agent.agent_type, from: before.status, to, reason },
      },
      ending ? (agent.parent_id ?? '') : null,
    );
    // A closed agent runs nothing more: what was queued for it goes with it.
    if (to === 'shutdown') await dropQueued(sql, agent, reason ?? 'closed');
    return { ok: true, from: before.status, agent };
  }

  return {
    async reserve(sql, agent, limits) {
      if (agent.depth > limits.maxDepth) {
        throw new MaestroError(
          'limit',
          `spawning ${agent.task_name} would nest agents ${agent.depth} deep; the limit is ${limits.maxDepth} (limits.max_depth)`,
        );
      }
      if (agent.parent_id !== null) {
        const refused = parentRefusal(await getAgent(sql, agent.parent_id), agent.parent_id);
        if (refused) throw refused;
      }
      const taken = await sql.one(
        `SELECT id FROM agents WHERE session_id = $1 AND task_name = $2 AND status <> 'shutdown'`,
        [agent.session_id, agent.task_name],
      );
      if (taken) {
        throw new MaestroError(
          'conflict',
          `an open agent in session ${agent.session_id} is already named ${agent.task_name}; close it first or choose another task_name`,
        );
      }
      const open = await openCount(sql, agent.session_id);
      if (open >= limits.maxOpenAgents) {
        throw new MaestroError(
          'limit',
          `session ${agent.session_id} already has ${open} open agents; the limit is ${limits.maxOpenAgents} (limits.max_open_agents). Close finished agents with close_agent`,
        );
      }
      const ts = now();
      await sql.run('INSERT INTO sessions (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
        agent.session_id,
        ts,
      ]);
      await sql.run(INSERT_AGENT, [...INSERT_AGENT_FIELDS.map((field) => agent[field]), agent.task, ts]);
      await insertTurn(sql, agent.id, 1, agent.task, 'pending_init', ts, null);
      await feed.append(sql, {
        type: 'agent',
        session_id: agent.session_id,
        agent_id: agent.id,
        turn: 1,
        data: {
          task_name: agent.task_name,
          agent_type: agent.agent_type,
          from: null,
          to: 'pending_init',
          reason: null,
        },
      });
      return (await getAgent(sql, agent.id))!;
    },

    get: async (sql, id) => (await getAgent(sql, id)) ?? null,

    async resolve(sql, sessionId, target) {
      const byId = await getAgent(sql, target);
      if (byId && byId.session_id === sessionId) return byId;
      const [byTask] = await agentsWhere(
        sql,
        `WHERE session_id = $1 AND task_name = $2 ORDER BY status = 'shutdown', created_at DESC LIMIT 1`,
        [sessionId, target],
      );
      return byTask ?? null;
    },

    list(sql, { sessionId, status, pathPrefix }) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (sessionId !== undefined) where.push(`session_id = $${params.push(sessionId)}`);
      if (status !== undefined) where.push(`status = $${params.push(status)}`);
      if (pathPrefix !== undefined) where.push(`starts_with(path, $${params.push(pathPrefix)})`);
      return agentsWhere(
        sql,
        `${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, path`,
        params,
      );
    },

    children: (sql, sessionId, parentId) =>
      agentsWhere(sql, 'WHERE session_id = $1 AND parent_id IS NOT DISTINCT FROM $2 ORDER BY created_at', [
        sessionId,
        parentId,
      ]),

    descendants: (sql, agent) =>
      agentsWhere(sql, 'WHERE session_id = $1 AND starts_with(path, $2) ORDER BY depth DESC, created_at', [
        agent.session_id,
        `${agent.path}/`,
      ]),

    transition: (sql, id, to, reason = null) => applyTransition(sql, id, to, reason),

    async beginTurn(sql, id, task, options = {}) {
      const before = await getAgent(sql, id);
      if (!before) return { ok: false, reason: 'not_found' };
      const { maxOpenAgents } = options;
      if (maxOpenAgents !== undefined && isOpen(before.status) && !holdsSlot(before)) {
        const open = await openCount(sql, before.session_id);
        if (open >= maxOpenAgents) {
          throw new MaestroError(
            'limit',
            `${before.task_name} cannot start a turn: session ${before.session_id} already has ${open} open agents; the limit is ${maxOpenAgents} (limits.max_open_agents). Close finished agents with close_agent`,
          );
        }
      }
      // The first turn's row was written when the agent was reserved; later turns add theirs.
      const first = before.status === 'pending_init';
      const outcome = await applyTransition(
        sql,
        id,
        'running',
        null,
        first ? undefined : { sql: ', turn = turn + 1, last_task_message = $5', params: [task] },
      );
      if (!outcome.ok) return outcome;
      if (
        options.followupId !== undefined &&
        (await sql.run('DELETE FROM followups WHERE id = $1 AND agent_id = $2', [options.followupId, id])) === 0
      ) {
        // Another server started it first: this start is undone with the transaction.
        throw new MaestroError('conflict', `the follow-up of ${before.task_name} was already started`);
      }
      const started = Date.now();
      const deadline = options.timeoutMs === undefined ? null : new Date(started + options.timeoutMs).toISOString();
      if (first) {
        await sql.run(`UPDATE agent_turns SET status = 'running', deadline_at = $1 WHERE agent_id = $2 AND turn = 1`, [
          deadline,
          id,
        ]);
      } else {
        await insertTurn(sql, id, outcome.agent.turn, task, 'running', new Date(started).toISOString(), deadline);
      }
      await feed.append(sql, {
        type: 'turn_started',
        session_id: before.session_id,
        agent_id: id,
        turn: outcome.agent.turn,
        data: { task_name: before.task_name, task: preview(task) },
      });
      return outcome;
    },

    async endTurn(sql, id, turn, end) {
      const before = await getAgent(sql, id);
      if (!before) return { ok: false, reason: 'not_found' };
      if (before.turn !== turn) return null;
      // A closed agent's last turn ends as closed, whatever its process did on the way out.
      const status = before.status === 'shutdown' ? 'shutdown' : end.status;
      const outcome = before.status === 'shutdown' ? null : await applyTransition(sql, id, status, end.error ?? null);
      await sql.run(
        `UPDATE agent_turns SET status = $3, final_message = coalesce($4, final_message), error = $5, usage = $6,
           ended_at = $7 WHERE agent_id = $1 AND turn = $2`,
        [
          id,
          turn,
          status,
          end.final_message ?? null,
          end.error ?? null,
          end.usage ? JSON.stringify(end.usage) : null,
          now(),
        ],
      );
      if (end.usage) {
        const u = end.usage;
        await sql.run(
          `UPDATE agents SET input_tokens = input_tokens + $2, cached_input_tokens = cached_input_tokens + $3,
             output_tokens = output_tokens + $4, cost_usd = cost_usd + $5 WHERE id = $1`,
          [id, u.input_tokens, u.cached_input_tokens, u.output_tokens, u.cost_usd],
        );
      }
      await feed.append(sql, {
        type: 'turn_ended',
        session_id: before.session_id,
        agent_id: id,
        turn,
        data: { task_name: before.task_name, status, error: end.error ?? null, usage: end.usage ?? null },
      });
      return outcome;
    },

    // One statement (migrations.ts v4): the turn's result, and the news of it for the parent.
    async report(sql, id, result) {
      const row = await sql.one<{ turn: number | null; accepted: boolean }>(
        'SELECT turn, accepted FROM maestro_report($1, $2, $3)',
        [id, JSON.stringify(result ?? null), now()],
      );
      if (row?.turn === null || row?.turn === undefined) throw new MaestroError('not_found', `agent ${id} not found`);
      return { turn: row.turn, accepted: row.accepted };
    },

    async setProcess(sql, id, p) {
      await sql.run(
        `UPDATE agents SET pid = $2, pid_start = $3, owner_pid = $4, owner_start = $5, owner_host = $6,
           owner_server = $7, updated_at = $8 WHERE id = $1`,
        [id, p.pid, p.pid_start, p.owner_pid, p.owner_start, p.owner_host, p.owner_server, now()],
      );
    },

    async setBackendSession(sql, id, backendSessionId) {
      await sql.run('UPDATE agents SET backend_session_id = $1, updated_at = $2 WHERE id = $3', [
        backendSessionId,
        now(),
        id,
      ]);
    },

    async setCwd(sql, id, cwd) {
      await sql.run('UPDATE agents SET cwd = $1, updated_at = $2 WHERE id = $3', [cwd, now(), id]);
    },

    async queueFollowup(sql, id, followup) {
      const agent = await getAgent(sql, id);
      if (!agent) throw new MaestroError('not_found', `agent ${id} not found`);
      const queued = followupRecordSchema.parse(
        await sql.one(
          `INSERT INTO followups (agent_id, text, task, queued_at) VALUES ($1, $2, $3, $4)
           RETURNING id, agent_id, text, task, queued_at`,
          [id, followup.text, followup.task, now()],
        ),
      );
      await feed.append(sql, {
        type: 'followup_queued',
        session_id: agent.session_id,
        agent_id: id,
        turn: agent.turn,
        data: { task_name: agent.task_name, task: preview(followup.task) },
      });
      return queued;
    },

    followups: async (sql, id) =>
      (
        await sql.rows('SELECT id, agent_id, text, task, queued_at FROM followups WHERE agent_id = $1 ORDER BY id', [
          id,
        ])
      ).map((row) => followupRecordSchema.parse(row)),

    async dropFollowups(sql, id, reason) {
      const agent = await getAgent(sql, id);
      return agent ? dropQueued(sql, agent, reason) : 0;
    },

    withFollowups: (sql) =>
      agentsWhere(sql, 'WHERE id IN (SELECT DISTINCT agent_id FROM followups) ORDER BY created_at', []),

    clientSession: async (sql, clientId) =>
      (await sql.one<{ session_id: string }>('SELECT session_id FROM client_sessions WHERE client_id = $1', [clientId]))
        ?.session_id ?? null,

    async setClientSession(sql, clientId, sessionId) {
      await sql.run(
        `INSERT INTO client_sessions (client_id, session_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (client_id) DO UPDATE SET session_id = excluded.session_id, updated_at = excluded.updated_at`,
        [clientId, sessionId, now()],
      );
    },

    turns: async (sql, id) =>
      (await sql.rows(`SELECT ${TURN_COLUMNS} FROM agent_turns WHERE agent_id = $1 ORDER BY turn`, [id])).map(
        rowToTurn,
      ),

    runningIn: async (sql, pid, start) =>
      (
        await agentsWhere(
          sql,
          'WHERE pid = $1 AND pid_start IS NOT DISTINCT FROM $2 ORDER BY updated_at DESC LIMIT 1',
          [pid, start],
        )
      )[0] ?? null,

    supervises: async (sql, pid, start) =>
      (await sql.one('SELECT 1 FROM agents WHERE owner_pid = $1 AND owner_start IS NOT DISTINCT FROM $2 LIMIT 1', [
        pid,
        start,
      ])) !== undefined,

    consumeNews: (sql, sessionId, recipient, agentIds) => news.consume(sql, sessionId, recipient, agentIds),
    pendingNews: (sql, sessionId, recipient) => news.pending(sql, sessionId, recipient),
    otherClients: (sql, sessionId, clientId) => news.others(sql, sessionId, clientId),
    adoptOrphans: (sql, sessionId, clientId, gone) => news.adopt(sql, sessionId, clientId, gone),
  };
}
