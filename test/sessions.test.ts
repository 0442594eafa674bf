/**
 * A restarted coordinator finds its team: a fresh server (no MAESTRO_SESSION, no spawn yet) takes
 * up the one session whose top-level agents are still open, after a SIGKILL or a clean stop of
 * the server before it; with several open teams a call that names none fails, listing them
 * (a server the same client restarts keeps the session it had: test/runtime-truth.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { agentRows, alive, startProject, until, worker, type Project } from './helpers/project.js';

type Waited = { timed_out: boolean; message: string; agents: Record<string, { turn: number; result?: unknown }> };

/** followup_task, wait_agent and list_agents, none naming a session, find F1 in `session`. */
async function findsTeam(p: Project, session: string, report: string): Promise<void> {
  const listed = await p.ok('list_agents', {});
  expect(listed.session_id).toBe(session);
  expect(listed.agents).toEqual([expect.objectContaining({ task_name: 'F1' })]);
  await p.ok('followup_task', { target: 'F1', message: JSON.stringify({ report }) });
  const waited = (await p.ok('wait_agent', { timeout_ms: 30_000 })) as Waited & { session_id: string };
  expect(waited.session_id).toBe(session);
  expect(waited.agents.F1).toMatchObject({ turn: 2, result: report });
}

describe('a restarted coordinator server', () => {
  it('after a SIGKILL, finds its team without being told the session', async () => {
    const first = await startProject();
    const spawned = await first.ok('spawn_agent', worker('F1', { sleep_ms: 60_000 }));
    const session = spawned.session_id as string;
    process.kill(first.serverPid, 'SIGKILL');
    await until(() => !alive(first.serverPid), 10_000);

    const second = await startProject({ dir: first.dir });
    await findsTeam(second, session, 'back after a kill');
  }, 180_000);

  it('after a clean stop, finds its team without being told the session', async () => {
    const first = await startProject();
    const spawned = await first.ok('spawn_agent', worker('F1', { report: 'turn one' }));
    await first.ok('wait_agent', { timeout_ms: 30_000 });
    await first.client.close();

    const second = await startProject({ dir: first.dir });
    await findsTeam(second, spawned.session_id as string, 'back after a stop');
  }, 180_000);

  it('with two open teams, a call naming no session fails listing both; naming one settles it', async () => {
    // A client that is gone when the next one starts (a restarted window): the next is a new client.
    const first = await startProject({ ownClient: true });
    await first.ok('spawn_agent', worker('F1', { report: 'a' }, { session_id: 'team-a' }));
    await first.ok('spawn_agent', worker('G1', { report: 'b' }, { session_id: 'team-b' }));
    await first.ok('wait_agent', { session_id: 'team-a', timeout_ms: 30_000 });
    await first.ok('wait_agent', { session_id: 'team-b', timeout_ms: 30_000 });
    await first.client.close();

    const second = await startProject({ dir: first.dir, ownClient: true });
    for (const [name, args] of [
      ['list_agents', {}],
      ['wait_agent', { timeout_ms: 1000 }],
      ['followup_task', { target: 'F1', message: 'more' }],
    ] as const) {
      const error = await second.fails(name, args);
      expect(error).toMatch(/2 sessions have open agents: team-a \(F1\); team-b \(G1\)/);
      expect(error).toMatch(/Pass session_id .*MAESTRO_SESSION/);
    }
    // Naming one of them settles this server on it, as a spawn there would.
    expect((await agentRows(second, 'team-b')).map((a) => a.task_name)).toEqual(['G1']);
    const listed = await second.ok('list_agents', {});
    expect(listed).toMatchObject({ session_id: 'team-b', agents: [expect.objectContaining({ task_name: 'G1' })] });
    await second.ok('followup_task', { target: 'G1', message: JSON.stringify({ report: 'chosen' }) });
    const waited = (await second.ok('wait_agent', { timeout_ms: 30_000 })) as Waited;
    expect(waited.agents.G1).toMatchObject({ turn: 2, result: 'chosen' });
  }, 180_000);

  it('does not take up a team another live server is running', async () => {
    const first = await startProject();
    await first.ok('spawn_agent', worker('F1', { sleep_ms: 60_000 }, { session_id: 'busy' }));
    const second = await startProject({ dir: first.dir, ownClient: true });
    const listed = await second.ok('list_agents', {});
    expect(listed.session_id).not.toBe('busy');
    expect(listed.agents).toEqual([]);
  }, 120_000);
});
