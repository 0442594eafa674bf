/**
 * Agents in SQLite. Every status change goes through `transition`, one atomic compare-and-swap
 * against the table of allowed predecessors (agents/status.ts), and is appended to the event feed
 * (feed.ts) in the same transaction, as are a turn's start and end and a reported result. An
 * ending is marked there as news for the waiting parent (news.ts), so a wait can never miss one
 * that committed before it looked.
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
import { MaestroError } from '../errors.js';
import { AGENT_COLUMNS, TURN_COLUMNS, rowToAgent, rowToTurn } from './agent-rows.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { createFeed } from './feed.js';
import { preview } from '../store/feed-events.js';
import { createNewsBox } from './news.js';
import type { Synchronous } from './synchronous.js';
import { parentRefusal, type AgentStore } from '../store/agent-store.js';
import type { Limits, NewAgent, NewFollowup, TransitionOutcome, TurnEnd, TurnOptions } from '../store/records.js';

/** The synchronous statements behind the SQLite AgentStore (store/agent-store.ts says what each does). */
export type AgentTables = Synchronous<AgentStore>;

/** A query of agents prepared once: the record's columns named, each row converted once. */
function agentQuery<P extends unknown[]>(db: Db, rest: string) {
  const statement = db.prepare<unknown[], unknown>(`SELECT ${AGENT_COLUMNS} FROM agents ${rest}`);
  return {
    get: (...params: P): AgentRecord | undefined => {
      const row = statement.get(...params);
      return row === undefined ? undefined : rowToAgent(row);
    },
    all: (...params: P): AgentRecord[] => statement.all(...params).map(rowToAgent),
  };
}

export function createAgentTables(db: Db): AgentTables {
  const now = () => new Date().toISOString();
  const feed = createFeed(db);
  const news = createNewsBox(db, feed);
  const getAgent = agentQuery<[string]>(db, 'WHERE id = ?');
  const byTask = agentQuery<[string, string]>(
    db,
    `WHERE session_id = ? AND task_name = ?
     ORDER BY status = 'shutdown', created_at DESC LIMIT 1`,
  );
  const openCount = db.prepare<[string], { n: number }>(
    `SELECT count(*) AS n FROM agents WHERE session_id = ? AND ${HOLDS_SLOT_SQL}`,
  );
  const taskTaken = db.prepare<[string, string], { id: string }>(
    `SELECT id FROM agents WHERE session_id = ? AND task_name = ? AND status <> 'shutdown'`,
  );
  const ensureSession = db.prepare<[string, string]>(
    'INSERT INTO sessions (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const insertAgent = db.prepare(
    `INSERT INTO agents (id, session_id, task_name, nickname, agent_type, parent_id, depth, path, backend, command, model,
       reasoning_effort, cwd, worktree, branch, status, turn, last_task_message, owner_pid, owner_start, owner_host,
       owner_server, client_id, created_at, updated_at)
     VALUES (@id, @session_id, @task_name, @nickname, @agent_type, @parent_id, @depth, @path, @backend, @command, @model,
       @reasoning_effort, @cwd, @worktree, @branch, 'pending_init', 1, @task, @owner_pid, @owner_start, @owner_host,
       @owner_server, @client_id, @ts, @ts)`,
  );
  const insertTurn = db.prepare<[string, number, string, string, string, string | null]>(
    `INSERT INTO agent_turns (agent_id, turn, task, status, started_at, deadline_at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const allTurns = db.prepare<[string], unknown>(
    `SELECT ${TURN_COLUMNS} FROM agent_turns WHERE agent_id = ? ORDER BY turn`,
  );
  const setTurnEnd = db.prepare(
    `UPDATE agent_turns SET status = @status, final_message = coalesce(@final_message, final_message),
       error = @error, usage = @usage, ended_at = @ts WHERE agent_id = @id AND turn = @turn`,
  );
  const addUsage = db.prepare(
    `UPDATE agents SET input_tokens = input_tokens + @input_tokens, cached_input_tokens = cached_input_tokens + @cached_input_tokens,
       output_tokens = output_tokens + @output_tokens, cost_usd = cost_usd + @cost_usd WHERE id = @id`,
  );
  const turnRow = db.prepare<[string, number], { status: AgentStatus; reported_at: string | null }>(
    'SELECT status, reported_at FROM agent_turns WHERE agent_id = ? AND turn = ?',
  );
  const setReported = db.prepare(
    'UPDATE agent_turns SET result = ?, reported_at = ? WHERE agent_id = ? AND turn = ? AND reported_at IS NULL',
  );
  const childrenOf = agentQuery<[string, string | null, string | null]>(
    db,
    `WHERE session_id = ? AND (parent_id = ? OR (parent_id IS NULL AND ? IS NULL)) ORDER BY created_at`,
  );
  const underPath = agentQuery<[string, string, string]>(
    db,
    `WHERE session_id = ? AND substr(path, 1, length(?)) = ? ORDER BY depth DESC, created_at`,
  );
  const markFirstTurnRunning = db.prepare<[string | null, string]>(
    `UPDATE agent_turns SET status = 'running', deadline_at = ? WHERE agent_id = ? AND turn = 1`,
  );
  const insertFollowup = db.prepare<[string, string, string, string], unknown>(
    `INSERT INTO followups (agent_id, text, task, queued_at) VALUES (?, ?, ?, ?)
     RETURNING id, agent_id, text, task, queued_at`,
  );
  const followupsOf = db.prepare<[string], unknown>(
    'SELECT id, agent_id, text, task, queued_at FROM followups WHERE agent_id = ? ORDER BY id',
  );
  const takeFollowup = db.prepare<[number, string]>('DELETE FROM followups WHERE id = ? AND agent_id = ?');
  const dropAll = db.prepare<[string]>('DELETE FROM followups WHERE agent_id = ?');
  const withQueued = agentQuery<[]>(db, 'WHERE id IN (SELECT DISTINCT agent_id FROM followups) ORDER BY created_at');
  const clientSessionOf = db.prepare<[string], { session_id: string }>(
    'SELECT session_id FROM client_sessions WHERE client_id = ?',
  );
  const rememberClientSession = db.prepare<[string, string, string]>(
    `INSERT INTO client_sessions (client_id, session_id, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (client_id) DO UPDATE SET session_id = excluded.session_id, updated_at = excluded.updated_at`,
  );
  const setProcessRow = db.prepare(
    `UPDATE agents SET pid = @pid, pid_start = @pid_start, owner_pid = @owner_pid, owner_start = @owner_start,
       owner_host = @owner_host, owner_server = @owner_server, updated_at = @ts WHERE id = @id`,
  );
  const byProcess = agentQuery<[number, string | null]>(
    db,
    'WHERE pid = ? AND pid_start IS ? ORDER BY updated_at DESC LIMIT 1',
  );
  const byOwner = db.prepare<[number, string | null], { one: number }>(
    'SELECT 1 AS one FROM agents WHERE owner_pid = ? AND owner_start IS ? LIMIT 1',
  );
  const setCwdRow = db.prepare<[string, string, string]>('UPDATE agents SET cwd = ?, updated_at = ? WHERE id = ?');
  const setSessionRow = db.prepare<[string, string, string]>(
    'UPDATE agents SET backend_session_id = ?, updated_at = ? WHERE id = ?',
  );
  // list() filters on any of three fields: one statement per combination, prepared on first use.
  const listQueries = new Map<string, ReturnType<typeof agentQuery<unknown[]>>>();
  const listQuery = (rest: string) => {
    let query = listQueries.get(rest);
    if (!query) listQueries.set(rest, (query = agentQuery<unknown[]>(db, rest)));
    return query;
  };

  // One UPDATE per target status and extra columns, prepared on first use (preparing costs more than running).
  const transitionStatements = new Map<string, Statement<[Record<string, unknown>], unknown>>();
  function transitionStatement(to: AgentStatus, extra: string) {
    const key = `${to}\n${extra}`;
    let statement = transitionStatements.get(key);
    if (!statement) {
      const closed = to === 'shutdown' ? ', closed_at = @ts' : '';
      statement = db.prepare<[Record<string, unknown>], unknown>(
        `UPDATE agents SET status = @to, status_reason = @reason, updated_at = @ts${closed}${extra}
          WHERE id = @id AND status IN (${ALLOWED_FROM[to].map((s) => `'${s}'`).join(', ')}) RETURNING ${AGENT_COLUMNS}`,
      );
      transitionStatements.set(key, statement);
    }
    return statement;
  }

  /** The one way a status changes; `set` adds columns to change in the same UPDATE. */
  function applyTransition(
    id: string,
    to: AgentStatus,
    reason: string | null,
    set: { sql: string; params: Record<string, unknown> } = { sql: '', params: {} },
  ): TransitionOutcome {
    const before = getAgent.get(id);
    if (!before) return { ok: false, reason: 'not_found' };
    const allowed = ALLOWED_FROM[to];
    if (!allowed.includes(before.status)) return { ok: false, reason: 'illegal', from: before.status };
    const ts = now();
    const row = transitionStatement(to, set.sql).get({ id, to, reason, ts, ...set.params });
    const agent = row === undefined ? undefined : rowToAgent(row);
    if (!agent) return { ok: false, reason: 'illegal', from: before.status };
    // A turn's ending is news for the parent once: a result it reported was news already.
    const ending = isNewsForParent(to) && !turnRow.get(id, agent.turn)?.reported_at;
    feed.append(
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
    if (to === 'shutdown') dropQueued(agent, reason ?? 'closed');
    return { ok: true, from: before.status, agent };
  }

  function dropQueued(agent: AgentRecord, reason: string): number {
    const dropped = dropAll.run(agent.id).changes;
    if (dropped > 0) {
      feed.append({
        type: 'followup_dropped',
        session_id: agent.session_id,
        agent_id: agent.id,
        turn: agent.turn,
        data: { task_name: agent.task_name, count: dropped, reason },
      });
    }
    return dropped;
  }

  const transitionTx = db.transaction(applyTransition);

  const reserveTx = db.transaction((agent: NewAgent, limits: Limits): AgentRecord => {
    if (agent.depth > limits.maxDepth) {
      throw new MaestroError(
        'limit',
        `spawning ${agent.task_name} would nest agents ${agent.depth} deep; the limit is ${limits.maxDepth} (limits.max_depth)`,
      );
    }
    const refused = agent.parent_id === null ? null : parentRefusal(getAgent.get(agent.parent_id), agent.parent_id);
    if (refused) throw refused;
    if (taskTaken.get(agent.session_id, agent.task_name)) {
      throw new MaestroError(
        'conflict',
        `an open agent in session ${agent.session_id} is already named ${agent.task_name}; close it first or choose another task_name`,
      );
    }
    const open = openCount.get(agent.session_id)!.n;
    if (open >= limits.maxOpenAgents) {
      throw new MaestroError(
        'limit',
        `session ${agent.session_id} already has ${open} open agents; the limit is ${limits.maxOpenAgents} (limits.max_open_agents). Close finished agents with close_agent`,
      );
    }
    const ts = now();
    ensureSession.run(agent.session_id, ts);
    insertAgent.run({ ...agent, ts });
    insertTurn.run(agent.id, 1, agent.task, 'pending_init', ts, null);
    feed.append({
      type: 'agent',
      session_id: agent.session_id,
      agent_id: agent.id,
      turn: 1,
      data: { task_name: agent.task_name, agent_type: agent.agent_type, from: null, to: 'pending_init', reason: null },
    });
    return getAgent.get(agent.id)!;
  });

  const beginTurnTx = db.transaction((id: string, task: string, options: TurnOptions = {}) => {
    const before = getAgent.get(id);
    if (!before) return { ok: false, reason: 'not_found' } as const;
    const { maxOpenAgents } = options;
    if (maxOpenAgents !== undefined && isOpen(before.status) && !holdsSlot(before)) {
      const open = openCount.get(before.session_id)!.n;
      if (open >= maxOpenAgents) {
        throw new MaestroError(
          'limit',
          `${before.task_name} cannot start a turn: session ${before.session_id} already has ${open} open agents; the limit is ${maxOpenAgents} (limits.max_open_agents). Close finished agents with close_agent`,
        );
      }
    }
    // The first turn's row was written when the agent was reserved; later turns add theirs.
    const first = before.status === 'pending_init';
    const outcome = applyTransition(
      id,
      'running',
      null,
      first ? undefined : { sql: ', turn = turn + 1, last_task_message = @task', params: { task } },
    );
    if (!outcome.ok) return outcome;
    if (options.followupId !== undefined && takeFollowup.run(options.followupId, id).changes === 0) {
      // Another server started it first: this start is undone with the transaction.
      throw new MaestroError('conflict', `the follow-up of ${before.task_name} was already started`);
    }
    const started = Date.now();
    const deadline = options.timeoutMs === undefined ? null : new Date(started + options.timeoutMs).toISOString();
    if (first) markFirstTurnRunning.run(deadline, id);
    else insertTurn.run(id, outcome.agent.turn, task, 'running', new Date(started).toISOString(), deadline);
    feed.append({
      type: 'turn_started',
      session_id: before.session_id,
      agent_id: id,
      turn: outcome.agent.turn,
      data: { task_name: before.task_name, task: preview(task) },
    });
    return outcome;
  });

  const endTurnTx = db.transaction((id: string, turn: number, end: TurnEnd): TransitionOutcome | null => {
    const before = getAgent.get(id);
    if (!before) return { ok: false, reason: 'not_found' };
    if (before.turn !== turn) return null;
    // A closed agent's last turn ends as closed, whatever its process did on the way out.
    const status = before.status === 'shutdown' ? 'shutdown' : end.status;
    const outcome = before.status === 'shutdown' ? null : applyTransition(id, status, end.error ?? null);
    setTurnEnd.run({
      id,
      turn,
      status,
      final_message: end.final_message ?? null,
      error: end.error ?? null,
      usage: end.usage ? JSON.stringify(end.usage) : null,
      ts: now(),
    });
    if (end.usage) addUsage.run({ id, ...end.usage });
    feed.append({
      type: 'turn_ended',
      session_id: before.session_id,
      agent_id: id,
      turn,
      data: { task_name: before.task_name, status, error: end.error ?? null, usage: end.usage ?? null },
    });
    return outcome;
  });

  const reportTx = db.transaction((id: string, result: unknown) => {
    const agent = getAgent.get(id);
    if (!agent) throw new MaestroError('not_found', `agent ${id} not found`);
    const ts = now();
    // A result reported after the turn ended is recorded, but the ending was the news.
    const ended = turnRow.get(id, agent.turn)?.status;
    const accepted = setReported.run(JSON.stringify(result ?? null), ts, id, agent.turn).changes === 1;
    if (accepted) {
      feed.append(
        {
          type: 'result',
          session_id: agent.session_id,
          agent_id: id,
          turn: agent.turn,
          data: { task_name: agent.task_name },
        },
        ended === 'completed' || ended === 'errored' ? null : (agent.parent_id ?? ''),
      );
    }
    return { turn: agent.turn, accepted };
  });

  const queueTx = db.transaction((id: string, followup: NewFollowup) => {
    const agent = getAgent.get(id);
    if (!agent) throw new MaestroError('not_found', `agent ${id} not found`);
    const queued = followupRecordSchema.parse(insertFollowup.get(id, followup.text, followup.task, now()));
    feed.append({
      type: 'followup_queued',
      session_id: agent.session_id,
      agent_id: id,
      turn: agent.turn,
      data: { task_name: agent.task_name, task: preview(followup.task) },
    });
    return queued;
  });

  const dropTx = db.transaction((id: string, reason: string) => {
    const agent = getAgent.get(id);
    return agent ? dropQueued(agent, reason) : 0;
  });

  return {
    reserve: (agent, limits) => reserveTx.immediate(agent, limits),
    get: (id) => getAgent.get(id) ?? null,
    resolve: (sessionId, target) => {
      const byId = getAgent.get(target);
      if (byId && byId.session_id === sessionId) return byId;
      return byTask.get(sessionId, target) ?? null;
    },
    list: ({ sessionId, status, pathPrefix }) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (sessionId !== undefined) (where.push('session_id = ?'), params.push(sessionId));
      if (status !== undefined) (where.push('status = ?'), params.push(status));
      if (pathPrefix !== undefined) (where.push('substr(path, 1, length(?)) = ?'), params.push(pathPrefix, pathPrefix));
      return listQuery(`${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, path`).all(
        ...params,
      );
    },
    children: (sessionId, parentId) => childrenOf.all(sessionId, parentId, parentId),
    descendants: (agent) => underPath.all(agent.session_id, `${agent.path}/`, `${agent.path}/`),
    transition: (id, to, reason = null) => transitionTx.immediate(id, to, reason, undefined),
    beginTurn: (id, task, options) => beginTurnTx.immediate(id, task, options),
    endTurn: (id, turn, end) => endTurnTx.immediate(id, turn, end),
    report: (id, result) => reportTx.immediate(id, result),
    setProcess: (id, identity) => {
      setProcessRow.run({ ...identity, id, ts: now() });
    },
    setBackendSession: (id, backendSessionId) => {
      setSessionRow.run(backendSessionId, now(), id);
    },
    setCwd: (id, cwd) => {
      setCwdRow.run(cwd, now(), id);
    },
    queueFollowup: (id, followup) => queueTx.immediate(id, followup),
    followups: (id) => followupsOf.all(id).map((row) => followupRecordSchema.parse(row)),
    dropFollowups: (id, reason) => dropTx.immediate(id, reason),
    withFollowups: () => withQueued.all(),
    clientSession: (clientId) => clientSessionOf.get(clientId)?.session_id ?? null,
    setClientSession: (clientId, sessionId) => {
      rememberClientSession.run(clientId, sessionId, now());
    },
    turns: (id) => allTurns.all(id).map(rowToTurn),
    runningIn: (pid, start) => byProcess.get(pid, start) ?? null,
    supervises: (pid, start) => byOwner.get(pid, start) !== undefined,
    consumeNews: (sessionId, recipient, agentIds) => news.consume(sessionId, recipient, agentIds),
    pendingNews: (sessionId, recipient) => news.pending(sessionId, recipient),
    otherClients: (sessionId, clientId) => news.others(sessionId, clientId),
    adoptOrphans: (sessionId, clientId, gone) => news.adopt(sessionId, clientId, gone),
  };
}
