/**
 * The agent and turn records (src/agents/records.ts) against the database itself: the schema
 * names exactly the columns the migrated tables have, and a row the schema does not describe is
 * refused where it is read, never cast into a record.
 */
import { describe, expect, it } from 'vitest';
import { agentRecordSchema, controlArgsSchema, turnRecordSchema } from '../src/agents/records.js';
import { rowToAgent, rowToTurn } from '../src/bus/agent-rows.js';
import { createAgentTables } from '../src/bus/agent-store.js';
import { openDatabase } from '../src/bus/db.js';
import { tempDbFile } from './helpers/temp.js';
import { newAgent } from './helpers/new-agent.js';

const columnsOf = (db: ReturnType<typeof openDatabase>, table: string) =>
  (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name).sort();

describe('agent records and the tables they are read from', () => {
  it('name exactly the columns of agents and agent_turns', () => {
    const db = openDatabase(tempDbFile());
    expect(Object.keys(agentRecordSchema.shape).sort()).toEqual(columnsOf(db, 'agents'));
    expect(Object.keys(turnRecordSchema.shape).sort()).toEqual(columnsOf(db, 'agent_turns'));
    db.close();
  });

  it('read a reserved agent and its turn through the one converter, usage and result parsed', () => {
    const db = openDatabase(tempDbFile());
    const store = createAgentTables(db); // the SQLite statements themselves: this tests their rows
    const agent = store.reserve(
      newAgent('a1', { task_name: 'IMPL-001', path: '/IMPL-001', command: '["true"]', cwd: '/tmp', owner_pid: 1 }),
      { maxOpenAgents: 8, maxDepth: 2 },
    );
    expect(agent).toMatchObject({ id: 'a1', status: 'pending_init', turn: 1, last_task_message: 'do it', pid: null });
    store.beginTurn('a1', 'do it');
    store.report('a1', { findings: ['x'] });
    const usage = { input_tokens: 10, cached_input_tokens: 2, output_tokens: 5, cost_usd: 0.01 };
    store.endTurn('a1', 1, { status: 'completed', final_message: 'done', usage });
    expect(store.turns('a1')).toEqual([
      expect.objectContaining({
        turn: 1,
        status: 'completed',
        result: { findings: ['x'] },
        usage,
        final_message: 'done',
      }),
    ]);
    expect(store.get('a1')).toMatchObject({ status: 'completed', input_tokens: 10, cost_usd: 0.01 });
    db.close();
  });

  it('refuse a row the schema does not describe, saying which field', () => {
    const db = openDatabase(tempDbFile());
    const store = createAgentTables(db); // the SQLite statements themselves: this tests their rows
    store.reserve(newAgent('a2', { task_name: 'T', path: '/T', cwd: '/tmp', task: 'x' }), {
      maxOpenAgents: 8,
      maxDepth: 2,
    });
    const row = db.prepare('SELECT * FROM agents WHERE id = ?').get('a2') as Record<string, unknown>;
    expect(() => rowToAgent({ ...row, status: 'sleeping' })).toThrow(/status/);
    expect(() => rowToAgent({ ...row, turn: 'one' })).toThrow(/turn/);
    const turn = db.prepare('SELECT * FROM agent_turns WHERE agent_id = ?').get('a2') as Record<string, unknown>;
    expect(() => rowToTurn({ ...turn, usage: '{"input_tokens":"lots"}' })).toThrow(/input_tokens/);
    db.close();
  });
});

describe('control request arguments', () => {
  it('a transcript read asks for 1 to 2000 lines, and anything else is refused saying what is allowed', () => {
    expect(controlArgsSchema.parse({ verb: 'transcript', lines: 1 })).toEqual({ verb: 'transcript', lines: 1 });
    expect(controlArgsSchema.parse({ verb: 'transcript', lines: 2000 })).toEqual({ verb: 'transcript', lines: 2000 });
    for (const lines of [0, -3, 2001, 1.5, '20', undefined]) {
      const parsed = controlArgsSchema.safeParse({ verb: 'transcript', lines });
      expect(parsed.success, String(lines)).toBe(false);
      expect(parsed.error!.issues[0]).toMatchObject({
        path: ['lines'],
        message: 'expected a whole number of transcript lines from 1 to 2000',
      });
    }
  });

  it('the stored verb list takes a transcript read and still refuses a verb it does not know', () => {
    const db = openDatabase(tempDbFile());
    createAgentTables(db).reserve(newAgent('a3', { task_name: 'T', path: '/T', cwd: '/tmp', task: 'x' }), {
      maxOpenAgents: 8,
      maxDepth: 2,
    });
    const insert = db.prepare(
      `INSERT INTO control_requests (session_id, agent_id, server, verb, args, requested_by, state, requested_at)
       VALUES ('s1', 'a3', 'h/1/x', ?, '{}', 'user', 'pending', '2026-01-01T00:00:00Z')`,
    );
    expect(insert.run('transcript').changes).toBe(1);
    expect(() => insert.run('delete')).toThrow(/CHECK constraint failed/);
    db.close();
  });
});
