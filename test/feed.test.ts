/**
 * The event feed: one ordered sequence of every change of state, read by any number of
 * followers, each by its own cursor; `maestro events` prints it and follows it live.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/bus/migrations.js';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { feedEventSchema, type FeedEvent } from '../src/store/feed-events.js';
import type { Store } from '../src/store/store.js';
import { maestro, spawnMaestro } from './helpers/cli.js';
import { newAgent } from './helpers/new-agent.js';
import { startProject, until, worker } from './helpers/project.js';
import { tempDbFile, tempDir } from './helpers/temp.js';

const LIMITS = { maxOpenAgents: 100, maxDepth: 3 };

/** `type` plus what tells events of that type apart, for comparing sequences. */
function brief(e: FeedEvent): string {
  switch (e.type) {
    case 'message':
      return `message ${e.message.id} ${e.message.summary}`;
    case 'agent':
      return `agent ${e.task_name} ${e.from ?? '-'}>${e.to}`;
    case 'turn_ended':
      return `turn_ended ${e.task_name} ${e.turn} ${e.status}`;
    default:
      return `${e.type} ${e.task_name} ${e.turn}`;
  }
}

async function readAll(store: Store, since = 0, limit = 3): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  for (let cursor = since; ;) {
    const page = await store.feed.read({ since: cursor, limit });
    events.push(...page.events);
    if (!page.has_more) return events;
    cursor = page.events.at(-1)!.seq;
  }
}

describe('the event feed', () => {
  it('holds messages, status changes, turns and results in the order they happened, numbered 1, 2, 3…', async () => {
    const store = openSqliteStore(tempDbFile());
    const { agents } = store;
    const log = (summary: string) =>
      store.messages.log({
        session_id: 'S1',
        from: 'coordinator',
        to: 'all',
        type: 'message',
        summary,
        data: {},
        sender_agent_id: null,
      });

    await log('plan ready');
    await agents.reserve(
      newAgent('IMPL-001', { session_id: 'S1', agent_type: 'implementer', task: 'build the cart' }),
      LIMITS,
    );
    await agents.beginTurn('IMPL-001', 'build the cart');
    await log('core done');
    await agents.queueFollowup('IMPL-001', { text: 'then the checkout', task: 'then the checkout' });
    await agents.report('IMPL-001', { status: 'completed' });
    await agents.endTurn('IMPL-001', 1, {
      status: 'completed',
      usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 5, cost_usd: 0.01 },
    });

    const events = await readAll(store);
    expect(events.map(brief)).toEqual([
      'message MSG-001 plan ready',
      'agent IMPL-001 ->pending_init',
      'agent IMPL-001 pending_init>running',
      'turn_started IMPL-001 1',
      'message MSG-002 core done',
      'followup_queued IMPL-001 1',
      'result IMPL-001 1',
      'agent IMPL-001 running>completed',
      'turn_ended IMPL-001 1 completed',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await store.feed.head()).toBe(9);
    for (const event of events) expect(feedEventSchema.parse(event)).toEqual(event);
    // message ids stay per session, whatever else the feed holds
    expect((await log('after')).id).toBe('MSG-003');
    expect(await store.feed.head()).toBe(10);
    expect(events.at(-1)).toMatchObject({ usage: { input_tokens: 10, output_tokens: 5 } });
  });

  it('reading takes nothing: two followers with their own cursors each see every event once', async () => {
    const store = openSqliteStore(tempDbFile());
    const seen: Record<'a' | 'b', number[]> = { a: [], b: [] };
    const cursors = { a: 0, b: 0 };
    const follow = async (who: 'a' | 'b') => {
      const page = await store.feed.read({ since: cursors[who], limit: 2 });
      for (const e of page.events) seen[who].push(e.seq);
      cursors[who] = page.events.at(-1)?.seq ?? cursors[who];
    };
    for (let i = 1; i <= 7; i++) {
      await store.messages.log({
        session_id: i % 2 ? 'S1' : 'S2',
        from: 'w',
        to: 'all',
        type: 'progress',
        summary: `${i}`,
        data: {},
        sender_agent_id: null,
      });
      await follow('a');
      if (i % 3 === 0) await follow('b');
    }
    while (cursors.a < (await store.feed.head())) await follow('a');
    while (cursors.b < (await store.feed.head())) await follow('b');
    expect(seen.a).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.b).toEqual(seen.a);
    // filters narrow what a reader sees, not what others see
    expect((await store.feed.read({ since: 0, sessionId: 'S2', limit: 10 })).events.map((e) => e.seq)).toEqual([
      2, 4, 6,
    ]);
    expect((await store.feed.read({ since: 0, types: ['agent'], limit: 10 })).events).toEqual([]);
    expect((await store.feed.latest({}, 2)).map((e) => e.seq)).toEqual([6, 7]);
  });

  it('a database from before the feed keeps its history: status changes join after its messages, numbering goes on', async () => {
    const file = path.join(tempDir(), 'old.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((m) => m.version <= 4)) {
      old.exec(m.sql);
      old.pragma(`user_version = ${m.version}`);
    }
    old.exec(`
      INSERT INTO sessions (id, created_at, next_seq) VALUES ('S1', '2026-01-01T00:00:00Z', 3);
      INSERT INTO messages (session_id, seq, ts, from_role, to_role, type, summary, data)
        VALUES ('S1', 1, '2026-01-01T00:00:01Z', 'coordinator', 'all', 'message', 'one', '{}'),
               ('S1', 2, '2026-01-01T00:00:03Z', 'IMPL-001', 'coordinator', 'progress', 'two', '{}');
      INSERT INTO agents (id, session_id, task_name, agent_type, depth, path, backend, cwd, status, turn, created_at, updated_at)
        VALUES ('A1', 'S1', 'IMPL-001', 'implementer', 1, '/IMPL-001', 'command', '/', 'completed', 1, '2026-01-01T00:00:02Z', '2026-01-01T00:00:04Z');
      INSERT INTO agent_events (agent_id, session_id, ts, from_status, to_status, turn, reason)
        VALUES ('A1', 'S1', '2026-01-01T00:00:02Z', NULL, 'pending_init', 1, NULL),
               ('A1', 'S1', '2026-01-01T00:00:02Z', 'pending_init', 'running', 1, NULL),
               ('A1', 'S1', '2026-01-01T00:00:04Z', 'running', 'completed', 1, NULL);
    `);
    old.close();

    const store = openSqliteStore(file);
    expect((await readAll(store)).map(brief)).toEqual([
      'message MSG-001 one',
      'message MSG-002 two',
      'agent IMPL-001 ->pending_init',
      'agent IMPL-001 pending_init>running',
      'agent IMPL-001 running>completed',
    ]);
    const next = await store.messages.log({
      session_id: 'S1',
      from: 'coordinator',
      to: 'all',
      type: 'message',
      summary: 'three',
      data: {},
      sender_agent_id: null,
    });
    expect(next.id).toBe('MSG-003');
    expect((await readAll(store, 5)).map((e) => [e.seq, brief(e)])).toEqual([[6, 'message MSG-003 three']]);
  });
});

describe('maestro events', () => {
  it('--follow shows a spawn, a progress message and the completion as they happen, each once and in order', async () => {
    const p = await startProject();
    const db = path.join(p.dir, '.maestro', 'maestro.db');
    await p.ok('team_msg', { operation: 'log', session_id: 'TC-feed', summary: 'plan ready' });
    const follower = spawnMaestro(['events', '--follow', '-s', 'TC-feed'], { env: { MAESTRO_DB: db } });
    let printed = '';
    follower.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    try {
      await until(() => printed.includes('plan ready'));
      await p.ok(
        'spawn_agent',
        worker('IMPL-001', { progress: ['core done'], report: { status: 'completed' } }, { session_id: 'TC-feed' }),
      );
      await until(() => printed.includes('IMPL-001 running → completed'));
    } finally {
      follower.kill('SIGTERM');
      await follower;
    }
    const lines = printed.trim().split('\n');
    const at = (text: string) => {
      const found = lines.filter((l) => l.includes(text));
      expect(found, `${text} in:\n${printed}`).toHaveLength(1);
      return lines.indexOf(found[0]!);
    };
    const spawned = at('IMPL-001 spawned (default) → pending_init');
    const started = at('IMPL-001 pending_init → running');
    const progress = at('(progress) core done');
    const reported = at('IMPL-001 reported the result of turn 1');
    const completed = at('IMPL-001 running → completed');
    expect(at('plan ready')).toBeLessThan(spawned);
    expect(spawned).toBeLessThan(started);
    expect(started).toBeLessThan(progress);
    expect(progress).toBeLessThan(reported);
    expect(reported).toBeLessThan(completed);
    const numbers = lines.map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
  });

  it('--json prints one feed event per line; --since and --type narrow it; bad flags name what is allowed', async () => {
    const db = tempDbFile();
    const env = { MAESTRO_DB: db };
    expect((await maestro(['msg', 'log', '-s', 'S1', '--type', 'progress', 'first'], { env })).code).toBe(0);
    expect((await maestro(['msg', 'log', '-s', 'S2', 'second'], { env })).code).toBe(0);
    expect((await maestro(['msg', 'log', '-s', 'S1', 'third'], { env })).code).toBe(0);

    const all = await maestro(['events', '--json'], { env });
    expect(all.code).toBe(0);
    const events = all.stdout.split('\n').map((l) => feedEventSchema.parse(JSON.parse(l)));
    expect(events.map((e) => [e.seq, e.session_id])).toEqual([
      [1, 'S1'],
      [2, 'S2'],
      [3, 'S1'],
    ]);

    const since = await maestro(['events', '--json', '--since', '1', '-s', 'S1'], { env });
    expect(since.stdout.split('\n').map((l) => (JSON.parse(l) as FeedEvent).seq)).toEqual([3]);
    const none = await maestro(['events', '--type', 'agent,turn_ended'], { env });
    expect(none).toMatchObject({ code: 0, stdout: '' });
    const last = await maestro(['events', '--last', '1'], { env });
    expect(last.stdout).toMatch(/^\s+3 \S+ message\s+MSG-002 user → coordinator \(message\) third \[S1\]$/);

    const bad = await maestro(['events', '--type', 'progress'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'progress' is not an event type; the types are message, agent, turn_started");
    expect((await maestro(['events', '--since', '1', '--last', '2'], { env })).code).toBe(2);
    const missing = await maestro(['events'], { env: { MAESTRO_DB: path.join(tempDir(), 'none.db') } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('none.db');
  });
});
