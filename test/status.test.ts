/**
 * The pure status decisions (src/agents/status.ts): what a backend event means for an agent's
 * status, which statuses are in a turn or news for the parent, and the slot rule, whose SQL
 * spelling is checked against the function on a real SQLite table.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  AGENT_STATUSES,
  HOLDS_SLOT_SQL,
  IDLE_STOP,
  holdsSlot,
  isFinal,
  isInTurn,
  isNewsForParent,
  statusFromEvent,
  type EventContext,
} from '../src/agents/status.js';
import type { BackendEvent } from '../src/backends/types.js';

const open: EventContext = { turnOpen: true, stopReason: null };
const usage = { input_tokens: 1, cached_input_tokens: 0, output_tokens: 2, cost_usd: 0 };
const turnEnd = (outcome: 'completed' | 'errored' | 'interrupted', error: string | null = null): BackendEvent => ({
  kind: 'turn_end',
  outcome,
  final_message: 'done',
  error,
  usage,
});
const exit = (code: number | null, signal: string | null = null, error: string | null = null): BackendEvent => ({
  kind: 'exit',
  code,
  signal,
  error,
});

describe('statusFromEvent', () => {
  it('a turn ends as the backend says, with its error', () => {
    expect(statusFromEvent(turnEnd('completed'), open)).toEqual({ status: 'completed', error: null });
    expect(statusFromEvent(turnEnd('errored', 'rate limited'), open)).toEqual({
      status: 'errored',
      error: 'rate limited',
    });
    expect(statusFromEvent(turnEnd('interrupted', 'interrupted'), open)).toEqual({
      status: 'interrupted',
      error: 'interrupted',
    });
  });

  it('a turn maestro cut short ends errored with maestro’s reason, whatever the CLI said', () => {
    const cut = { turnOpen: true, stopReason: 'timed out after 1000 ms' };
    expect(statusFromEvent(turnEnd('completed'), cut)).toEqual({ status: 'errored', error: 'timed out after 1000 ms' });
    expect(statusFromEvent(turnEnd('interrupted', 'aborted'), cut)).toEqual({
      status: 'errored',
      error: 'timed out after 1000 ms',
    });
    // letting an idle worker go cuts nothing short
    expect(statusFromEvent(turnEnd('completed'), { turnOpen: true, stopReason: IDLE_STOP })).toEqual({
      status: 'completed',
      error: null,
    });
  });

  it('a process that exits mid-turn ends it errored, with the most specific reason known', () => {
    expect(statusFromEvent(exit(3), open)).toEqual({ status: 'errored', error: 'the worker exited (code 3)' });
    expect(statusFromEvent(exit(null, 'SIGKILL'), open)).toEqual({
      status: 'errored',
      error: 'the worker exited (SIGKILL)',
    });
    expect(statusFromEvent(exit(127, null, '/no/such: command not found'), open)).toEqual({
      status: 'errored',
      error: '/no/such: command not found',
    });
    expect(
      statusFromEvent(exit(0, null, 'ignored'), { turnOpen: true, stopReason: 'the maestro server stopped' }),
    ).toEqual({ status: 'errored', error: 'the maestro server stopped' });
  });

  it('events that change no status, and anything after the turn ended, give null', () => {
    for (const event of [
      { kind: 'session', id: 'thread-1' },
      { kind: 'activity', text: 'reading files' },
      { kind: 'input_window' },
    ] as BackendEvent[]) {
      expect(statusFromEvent(event, open)).toBeNull();
    }
    const closed = { turnOpen: false, stopReason: null };
    expect(statusFromEvent(turnEnd('completed'), closed)).toBeNull();
    expect(statusFromEvent(exit(0), closed)).toBeNull();
    expect(statusFromEvent(exit(null, 'SIGTERM'), { turnOpen: false, stopReason: IDLE_STOP })).toBeNull();
  });
});

describe('status predicates', () => {
  it('in a turn, news for the parent, final', () => {
    expect(AGENT_STATUSES.filter(isInTurn)).toEqual(['pending_init', 'running']);
    expect(AGENT_STATUSES.filter(isNewsForParent)).toEqual(['completed', 'errored']);
    expect(AGENT_STATUSES.filter(isFinal)).toEqual(['completed', 'errored', 'shutdown']);
    // nothing is both in a turn and final
    expect(AGENT_STATUSES.filter((s) => isInTurn(s) && isFinal(s))).toEqual([]);
  });

  it('the slot rule and its SQL spelling agree on every status, with and without a process', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE agents (id INTEGER PRIMARY KEY, status TEXT NOT NULL, pid INTEGER)');
    const insert = db.prepare('INSERT INTO agents (status, pid) VALUES (?, ?)');
    const cases = AGENT_STATUSES.flatMap((status) => [
      { status, pid: null },
      { status, pid: 4242 },
    ]);
    const ids = cases.map((c) => Number(insert.run(c.status, c.pid).lastInsertRowid));
    const bySql = new Set(
      db
        .prepare(`SELECT id FROM agents WHERE ${HOLDS_SLOT_SQL}`)
        .all()
        .map((r) => (r as { id: number }).id),
    );
    expect(cases.map((c, i) => [c.status, c.pid, bySql.has(ids[i]!)])).toEqual(
      cases.map((c) => [c.status, c.pid, holdsSlot(c)]),
    );
    // only shutdown agents and errored ones with no process are free of a slot
    expect(cases.filter((c) => !holdsSlot(c))).toEqual([
      { status: 'errored', pid: null },
      { status: 'shutdown', pid: null },
      { status: 'shutdown', pid: 4242 },
    ]);
    db.close();
  });
});
