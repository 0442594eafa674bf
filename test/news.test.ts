/**
 * News is handed out by recipient: observers of the feed take nothing from a waiter, and each
 * top-level client of a session (two windows on one project) hears only of its own agents.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnMaestro } from './helpers/cli.js';
import { startProject, until } from './helpers/project.js';
import { tempDir } from './helpers/temp.js';

type Finished = { task_name: string; turn: number };
type Waited = { finished: Finished[]; message: string; agents: Record<string, unknown> };

/** A command worker whose turn ends when `go` appears. */
function gated(taskName: string, go: string, session: string): Record<string, unknown> {
  return {
    task_name: taskName,
    session_id: session,
    backend: 'command',
    command: ['sh', '-c', 'while [ ! -e "$1" ]; do sleep 0.02; done; echo "turn over"', 'sh', go],
    message: `wait for ${go}`,
  };
}

describe('news', () => {
  it('two top-level clients in one session each get their own news, and wait only for their own agents', async () => {
    const first = await startProject();
    const second = await startProject({ dir: first.dir, ownClient: true });
    const dir = tempDir();
    await first.ok('spawn_agent', gated('MINE-1', path.join(dir, 'one'), 'TC-two'));
    await second.ok('spawn_agent', gated('THEIRS-1', path.join(dir, 'two'), 'TC-two'));
    writeFileSync(path.join(dir, 'one'), '');
    writeFileSync(path.join(dir, 'two'), '');

    const a = (await first.ok('wait_agent', { session_id: 'TC-two', timeout_ms: 60_000 })) as Waited;
    const b = (await second.ok('wait_agent', { session_id: 'TC-two', timeout_ms: 60_000 })) as Waited;
    expect(a.finished.map((f) => f.task_name)).toEqual(['MINE-1']);
    expect(Object.keys(a.agents)).toEqual(['MINE-1']);
    expect(b.finished.map((f) => f.task_name)).toEqual(['THEIRS-1']);
    expect(Object.keys(b.agents)).toEqual(['THEIRS-1']);
    // each had its news once
    const again = (await first.ok('wait_agent', { session_id: 'TC-two', timeout_ms: 2000 })) as Waited;
    expect(again.finished).toEqual([]);
  }, 120_000);

  it('a client that is gone leaves its agents and their news to the next client of the session, once', async () => {
    const dir = tempDir();
    const gone = await startProject({ ownClient: true });
    const next = await startProject({ dir: gone.dir });
    await gone.ok('spawn_agent', gated('LEFT-1', path.join(dir, 'left'), 'TC-adopt'));
    await next.ok('spawn_agent', gated('OWN-1', path.join(dir, 'own'), 'TC-adopt'));
    writeFileSync(path.join(dir, 'left'), '');
    await until(async () => {
      const listed = (await next.ok('list_agents', { session_id: 'TC-adopt' })) as {
        agents: { task_name: string; status: string }[];
      };
      return listed.agents.some((a) => a.task_name === 'LEFT-1' && a.status === 'completed');
    });
    // next's own news comes after LEFT-1's ending in the feed, and is taken first
    writeFileSync(path.join(dir, 'own'), '');
    const own = (await next.ok('wait_agent', { session_id: 'TC-adopt', timeout_ms: 60_000 })) as Waited;
    expect(own.finished.map((f) => f.task_name)).toEqual(['OWN-1']);

    await gone.client.close(); // its server and the shell that started it exit: that client is gone
    await until(async () => {
      const waited = (await next.ok('wait_agent', { session_id: 'TC-adopt', timeout_ms: 2_000 })) as Waited;
      own.finished.push(...waited.finished);
      return own.finished.length >= 2;
    }, 60_000);
    expect(own.finished.map((f) => f.task_name)).toEqual(['OWN-1', 'LEFT-1']);
    const after = (await next.ok('wait_agent', { session_id: 'TC-adopt', timeout_ms: 1_000 })) as Waited;
    expect(after.finished).toEqual([]);
  }, 120_000);

  it('two observers following the feed see every event; the waiter still gets each completion once', async () => {
    const p = await startProject();
    const db = path.join(p.dir, '.maestro', 'maestro.db');
    await p.ok('team_msg', { operation: 'log', session_id: 'TC-watch', summary: 'start' });
    const observers = [0, 1].map(() => {
      const child = spawnMaestro(['events', '--follow', '--json', '-s', 'TC-watch', '--since', '0'], {
        env: { MAESTRO_DB: db },
      });
      const seen = { text: '', child };
      child.stdout!.on('data', (chunk: Buffer) => (seen.text += chunk.toString()));
      return seen;
    });
    try {
      await until(() => observers.every((o) => o.text.includes('"start"')));
      const dir = tempDir();
      const names = ['W1', 'W2', 'W3'];
      for (const name of names) await p.ok('spawn_agent', gated(name, path.join(dir, name), 'TC-watch'));
      const finished: Finished[] = [];
      for (const name of names) {
        writeFileSync(path.join(dir, name), '');
        await until(async () => {
          const waited = (await p.ok('wait_agent', { session_id: 'TC-watch', timeout_ms: 30_000 })) as Waited;
          finished.push(...waited.finished);
          return finished.some((f) => f.task_name === name);
        }, 60_000);
      }
      expect(finished.map((f) => f.task_name)).toEqual(names);
      const completions = (text: string) =>
        text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; task_name?: string; to?: string })
          .filter((e) => e.type === 'agent' && e.to === 'completed')
          .map((e) => e.task_name);
      await until(() => observers.every((o) => completions(o.text).length === names.length));
      for (const o of observers) expect(completions(o.text)).toEqual(names);
    } finally {
      for (const o of observers) o.child.kill('SIGTERM');
      await Promise.all(observers.map((o) => o.child));
    }
  }, 180_000);
});
