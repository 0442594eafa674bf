/**
 * A wait nobody hears takes nothing: a wait_agent whose request was cancelled, or whose client
 * went away, leaves every turn ending for the next wait. Over the real stdio server with the
 * SDK's client; the worker finishes only when the test says so, after the cancel went out.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProject, until, type Project } from './helpers/project.js';
import { tempDir } from './helpers/temp.js';

type Finished = { task_name: string; agent_id: string; turn: number };

/** A command worker whose every turn ends when `go` appears (and removes it for the next turn). */
function gated(taskName: string, go: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_name: taskName,
    backend: 'command',
    command: ['sh', '-c', 'while [ ! -e "$1" ]; do sleep 0.02; done; rm -f "$1"; echo "turn over"', 'sh', go],
    message: `wait for ${go}`,
    ...extra,
  };
}

/** Starts a wait_agent and cancels it (notifications/cancelled) once the server is surely inside it. */
async function cancelledWait(p: Project, args: Record<string, unknown>): Promise<void> {
  const abort = new AbortController();
  const waiting = p.client.callTool({ name: 'wait_agent', arguments: args }, undefined, { signal: abort.signal });
  // Requests are handled in order: when this one is answered, the wait has started and is waiting.
  await p.ok('list_agents', {});
  abort.abort(new Error('the client gave up'));
  await expect(waiting).rejects.toThrow('the client gave up');
  // The cancel went out before this request, so the server has aborted the wait when it answers.
  await p.ok('list_agents', {});
}

describe('a cancelled wait_agent', () => {
  it('takes nothing: a worker finishing just after the cancel is reported by the next wait, 20 times', async () => {
    const p = await startProject();
    const go = path.join(tempDir(), 'go');
    await p.ok('spawn_agent', gated('GATED', go));
    const finished: Finished[] = [];
    for (let turn = 1; turn <= 20; turn++) {
      if (turn > 1) await p.ok('followup_task', { target: 'GATED', message: `turn ${turn}` });
      await cancelledWait(p, { timeout_ms: 60_000 });
      writeFileSync(go, ''); // the worker ends its turn now, while nobody waits
      const waited = (await p.ok('wait_agent', { timeout_ms: 60_000 })) as { finished: Finished[]; message: string };
      expect(waited.finished, `turn ${turn}: ${waited.message}`).toEqual([expect.objectContaining({ turn })]);
      finished.push(...waited.finished);
    }
    expect(finished.map((f) => f.turn)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  }, 180_000);

  it('also when it waited for named targets, and news about others stays too', async () => {
    const p = await startProject();
    const dir = tempDir();
    await p.ok('spawn_agent', gated('LEFT', path.join(dir, 'left')));
    await p.ok('spawn_agent', gated('RIGHT', path.join(dir, 'right')));
    await cancelledWait(p, { targets: ['LEFT'], timeout_ms: 60_000 });
    writeFileSync(path.join(dir, 'left'), '');
    writeFileSync(path.join(dir, 'right'), '');
    const seen: Finished[] = [];
    await until(async () => {
      const waited = (await p.ok('wait_agent', { timeout_ms: 60_000 })) as { finished: Finished[] };
      seen.push(...waited.finished);
      return seen.length >= 2;
    }, 60_000);
    expect(seen.map((f) => f.task_name).sort()).toEqual(['LEFT', 'RIGHT']);
  }, 120_000);
});

describe('a wait whose client went away', () => {
  it('takes nothing: the turn its server ended on the way out is news for the next server', async () => {
    const first = await startProject();
    const go = path.join(tempDir(), 'go');
    await first.ok('spawn_agent', gated('LEFTOVER', go, { session_id: 'gone' }));
    const waiting = first.client.callTool({
      name: 'wait_agent',
      arguments: { session_id: 'gone', timeout_ms: 60_000 },
    });
    await first.ok('list_agents', { session_id: 'gone' }); // the wait is in progress
    await first.client.close(); // stdin closes: the server stops its worker, which ends the turn
    await expect(waiting).rejects.toThrow();

    const second = await startProject({ dir: first.dir });
    const waited = (await second.ok('wait_agent', { session_id: 'gone', timeout_ms: 30_000 })) as {
      finished: Finished[];
      agents: Record<string, { status: string }>;
    };
    expect(waited.agents.LEFTOVER!.status).toBe('errored');
    expect(waited.finished).toEqual([expect.objectContaining({ task_name: 'LEFTOVER', turn: 1 })]);
  }, 120_000);
});
