/**
 * Runtime truth in the store, and control from any server. What a server knows about the agents
 * it runs — that a follow-up is queued, which server runs an agent — is in the database, so a
 * server killed mid-turn leaves its queued follow-up to the next one, and a coordinator controls
 * a sub-worker that its worker's own server runs: the request goes through the store to that
 * server, which carries it out and records the outcome the coordinator gets.
 */
import { describe, expect, it } from 'vitest';
import { HOST, startToken } from '../src/agents/liveness.js';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import type { FeedEvent } from '../src/store/feed-events.js';
import { newAgent } from './helpers/new-agent.js';
import { agentProcesses } from './helpers/processes.js';
import { agentRows, alive, startProject, until, worker, type Project } from './helpers/project.js';

type Waited = { timed_out: boolean; agents: Record<string, { turn: number; result?: unknown }> };

/** The session's events of these types, read from the project's database as any observer would. */
async function events(p: Project, session: string, types: FeedEvent['type'][]): Promise<FeedEvent[]> {
  const store = openSqliteStore(p.dbFile, { create: false });
  try {
    return (await store.feed.read({ since: 0, sessionId: session, types, limit: 1000 })).events;
  } finally {
    await store.close();
  }
}

async function agentRecord(p: Project, id: string) {
  const store = openSqliteStore(p.dbFile, { create: false });
  try {
    return (await store.agents.get(id))!;
  } finally {
    await store.close();
  }
}

describe('a follow-up queued mid-turn', () => {
  it('survives a SIGKILL of the server and runs on the next server', async () => {
    const first = await startProject();
    await first.ok('spawn_agent', worker('LONG', { sleep_ms: 120_000 }, { session_id: 'kept' }));
    const queued = await first.ok('followup_task', {
      target: 'LONG',
      session_id: 'kept',
      message: JSON.stringify({ report: 'the queued task ran' }),
    });
    expect(queued).toMatchObject({ queued: true, turn: 2 });
    const [running] = await agentRows(first, 'kept');
    expect(running).toMatchObject({ status: 'running', turns: 1, queued_followups: 1 });
    expect(Date.parse((running as unknown as { turn_deadline: string }).turn_deadline)).toBeGreaterThan(Date.now());
    process.kill(first.serverPid, 'SIGKILL');
    await until(() => !alive(first.serverPid), 10_000);

    // The next server of the same client puts the orphaned turn right, then runs what was queued.
    const second = await startProject({ dir: first.dir });
    expect(alive(running!.pid!)).toBe(false);
    const waited = (await second.ok('wait_agent', {
      session_id: 'kept',
      targets: ['LONG'],
      timeout_ms: 60_000,
    })) as unknown as Waited;
    expect(waited.agents.LONG).toMatchObject({ turn: 2, result: 'the queued task ran' });
    // The result is news before the turn's end is recorded.
    await until(async () => (await agentRows(second, 'kept'))[0]!.status === 'completed');
    const turns = (await events(second, 'kept', ['turn_started', 'turn_ended'])).map(
      (e) => `${e.type} ${e.turn}${e.type === 'turn_ended' ? ` ${e.status}` : ''}`,
    );
    expect(turns).toEqual(['turn_started 1', 'turn_ended 1 errored', 'turn_started 2', 'turn_ended 2 completed']);
    // It ran once: nothing is left queued for a third server.
    const third = await startProject({ dir: first.dir, ownClient: true });
    expect((await agentRows(third, 'kept'))[0]).toMatchObject({ status: 'completed', turns: 2 });
  }, 240_000);

  it('is dropped by an interrupt and by a close, and says so in the feed', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('BUSY', { sleep_ms: 120_000 }, { session_id: 'drops' }));
    await p.ok('followup_task', { target: 'BUSY', session_id: 'drops', message: JSON.stringify({ print: 'never' }) });
    expect(await p.ok('interrupt_agent', { target: 'BUSY', session_id: 'drops' })).toEqual({
      previous_status: 'running',
    });
    await until(async () => (await agentRows(p, 'drops'))[0]!.status === 'interrupted');
    const dropped = await events(p, 'drops', ['followup_dropped']);
    expect(dropped).toMatchObject([{ task_name: 'BUSY', count: 1, reason: 'interrupted' }]);
    expect((await agentRows(p, 'drops'))[0]!.turns).toBe(1);
  }, 120_000);
});

describe('control from any server', () => {
  it("a coordinator follows up, interrupts, messages and closes its worker's sub-worker, run by the worker's own server", async () => {
    const p = await startProject();
    const sub = worker('SUB', { sleep_ms: 120_000 });
    await p.ok('spawn_agent', worker('LEAD', { spawn: sub, sleep_ms: 180_000 }, { session_id: 'tree' }));
    await until(async () => (await agentRows(p, 'tree')).some((a) => a.task_name === 'SUB' && a.status === 'running'));
    const subRow = (await agentRows(p, 'tree')).find((a) => a.task_name === 'SUB')!;
    const runner = await agentRecord(p, subRow.agent_id);
    // Run by LEAD's server, not the coordinator's.
    expect(runner.owner_pid).not.toBe(p.serverPid);
    expect(runner.owner_server).toMatch(new RegExp(`^${HOST}/${runner.owner_pid}/`));

    const followed = await p.ok('followup_task', {
      target: 'SUB',
      session_id: 'tree',
      message: JSON.stringify({ print: 'dropped by the interrupt' }),
    });
    expect(followed).toEqual({ task_name: 'SUB', status: 'running', turn: 2, queued: true });
    const sent = await p.ok('send_message', { target: 'SUB', session_id: 'tree', message: 'hold on' });
    expect(sent).toMatchObject({ target: 'SUB', delivery: 'queued' }); // a command worker reads its mailbox itself
    expect(await p.ok('interrupt_agent', { target: 'SUB', session_id: 'tree' })).toEqual({
      previous_status: 'running',
    });
    await until(async () => (await agentRows(p, 'tree')).find((a) => a.task_name === 'SUB')!.status === 'interrupted');

    // Its process is gone, but it is still LEAD's server's: the next turn runs there too.
    const again = await p.ok('followup_task', {
      target: 'SUB',
      session_id: 'tree',
      message: JSON.stringify({ report: 'second turn done', sleep_ms: 120_000 }),
    });
    expect(again).toMatchObject({ task_name: 'SUB', turn: 2, queued: false });
    await until(async () => (await agentRows(p, 'tree')).find((a) => a.task_name === 'SUB')!.pid !== null);
    expect((await agentRecord(p, subRow.agent_id)).owner_server).toBe(runner.owner_server);

    const closed = await p.ok('close_agent', { target: 'SUB', session_id: 'tree' });
    expect(closed).toMatchObject({ previous_status: 'running', closed: ['SUB'] });
    await until(() => agentProcesses(subRow.agent_id).length === 0);

    const done = await events(p, 'tree', ['control_requested', 'control_done']);
    const verbs = done.map((e) =>
      e.type === 'control_done' ? `${e.verb} ${e.state}` : e.type === 'control_requested' ? `${e.verb} asked` : e.type,
    );
    expect(verbs).toEqual([
      'followup asked',
      'followup done',
      'send asked',
      'send done',
      'interrupt asked',
      'interrupt done',
      'followup asked',
      'followup done',
      'close asked',
      'close done',
    ]);
    expect(done.filter((e) => e.type === 'control_requested').every((e) => e.requested_by === 'coordinator')).toBe(
      true,
    );
  }, 300_000);

  it('a sibling cannot control another worker’s sub-worker: refused by its own server, and a request forged in the store is refused by the running server', async () => {
    const p = await startProject();
    await p.ok(
      'spawn_agent',
      worker('LEAD', { spawn: worker('SUB', { sleep_ms: 120_000 }), sleep_ms: 180_000 }, { session_id: 'rivals' }),
    );
    await until(async () =>
      (await agentRows(p, 'rivals')).some((a) => a.task_name === 'SUB' && a.status === 'running'),
    );
    await p.ok(
      'spawn_agent',
      worker('OTHER', { calls: [{ name: 'interrupt_agent', args: { target: 'SUB' } }] }, { session_id: 'rivals' }),
    );
    const waited = (await p.ok('wait_agent', {
      session_id: 'rivals',
      targets: ['OTHER'],
      timeout_ms: 60_000,
    })) as unknown as Waited;
    expect(JSON.stringify(waited.agents.OTHER)).toMatch(
      /interrupt_agent error: .*may interrupt only agents it started/,
    );

    const rows = await agentRows(p, 'rivals');
    const sub = await agentRecord(p, rows.find((a) => a.task_name === 'SUB')!.agent_id);
    const other = rows.find((a) => a.task_name === 'OTHER')!;
    const store = openSqliteStore(p.dbFile, { create: false });
    try {
      // What a hostile process could write straight into the database: a request in OTHER's name.
      const forged = await store.control.request({
        session_id: 'rivals',
        agent_id: sub.id,
        server: sub.owner_server!,
        args: { verb: 'interrupt' },
        requested_by: 'OTHER',
        requester_agent_id: other.agent_id,
      });
      await until(async () => (await store.control.get(forged.id))!.state !== 'pending');
      expect(await store.control.get(forged.id)).toMatchObject({
        state: 'failed',
        outcome: {
          ok: false,
          code: 'forbidden',
          message: expect.stringMatching(/OTHER may interrupt only agents it started/),
        },
      });
    } finally {
      await store.close();
    }
    expect((await agentRows(p, 'rivals')).find((a) => a.task_name === 'SUB')!.status).toBe('running');
  }, 240_000);

  it('a request the running server never takes ends in a clear time-out, and is never carried out later', async () => {
    const p = await startProject({ config: { limits: { control_timeout_ms: 500 } } });
    await p.ok('spawn_agent', worker('ANY', { print: 'x' }, { session_id: 'stuck' })); // makes the session
    // An agent recorded as run by a live process that is no maestro server taking requests: this test.
    const store = openSqliteStore(p.dbFile, { create: false });
    try {
      await store.agents.reserve(
        newAgent('A-stuck', {
          session_id: 'stuck',
          task_name: 'STUCK',
          path: '/STUCK',
          owner_pid: process.pid,
          owner_start: startToken(process.pid),
          owner_host: HOST,
          owner_server: `${HOST}/${process.pid}/deaf`,
        }),
        { maxOpenAgents: 10, maxDepth: 3 },
      );
      const error = await p.fails('followup_task', { target: 'STUCK', session_id: 'stuck', message: 'more' });
      expect(error).toMatch(
        /STUCK is run by another maestro server \(pid \d+ on .+\), which did not take the followup request within 500 ms \(limits\.control_timeout_ms\)/,
      );
      const [request] = await store.control.pending(`${HOST}/${process.pid}/deaf`);
      expect(request).toBeUndefined(); // expired, not pending
      const feed = await events(p, 'stuck', ['control_done']);
      expect(feed).toMatchObject([{ verb: 'followup', state: 'expired' }]);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('the coordinator’s current session', () => {
  it('survives a restart of its server by the same client, even with several teams open', async () => {
    const first = await startProject();
    await first.ok('spawn_agent', worker('A1', { report: 'a' }, { session_id: 'team-a' }));
    await first.ok('spawn_agent', worker('B1', { report: 'b' }, { session_id: 'team-b' }));
    await first.ok('wait_agent', { session_id: 'team-b', timeout_ms: 30_000 });
    await first.client.close();

    const second = await startProject({ dir: first.dir });
    expect(await second.ok('list_agents', {})).toMatchObject({
      session_id: 'team-b',
      agents: [expect.objectContaining({ task_name: 'B1' })],
    });
    // Another client has no session of its own yet: it is told of both.
    const other = await startProject({ dir: first.dir, ownClient: true });
    expect(await other.fails('list_agents', {})).toMatch(/2 sessions have open agents: team-a \(A1\); team-b \(B1\)/);
  }, 180_000);
});
