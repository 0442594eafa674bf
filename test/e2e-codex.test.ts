/**
 * The real Codex binary as a worker, offline: a scripted Responses server plays the model; each
 * turn is a `codex exec` process, the next one resumes the thread; our server is added with -c
 * overrides and its tools are approved so the worker's calls go through.
 */
import { describe, expect, it } from 'vitest';
import type { Script } from '../src/scripted/script.js';
import { codexProject } from './helpers/offline.js';
import { agentRows, alive, until } from './helpers/project.js';

const IDENTITY = /task name (?<task>[A-Za-z0-9_.-]+), agent type \S+, team session (?<session>[A-Za-z0-9_.-]+)/;

const script: Script = {
  conversations: [
    {
      name: 'worker',
      match: (request) => IDENTITY.exec(request.userTexts.join('\n') + request.system)?.groups ?? null,
      steps: [
        {
          text: 'Reading the code.',
          calls: [
            {
              tool: 'team_msg',
              input: {
                operation: 'log',
                session_id: '{{session}}',
                from: '{{task}}',
                type: 'progress',
                summary: '[{{task}}] scanned (50%)',
              },
            },
          ],
        },
        { calls: [{ tool: 'report_agent_job_result', input: { status: 'completed', findings: 'codex found it' } }] },
        { text: 'Reported.' },
        { text: 'Second task done.' },
      ],
    },
  ],
};

describe('Codex worker', () => {
  it('logs progress, reports, is followed up by resuming its thread, and leaves no process when closed', async () => {
    const p = await codexProject(script);
    await p.ok('spawn_agent', { task_name: 'IMPL-003', backend: 'codex', message: 'Find the bug.', session_id: 'cx' });
    const waited = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as {
      agents: Record<string, { result: unknown; turn: number }>;
    };
    expect(waited.agents['IMPL-003']).toMatchObject({
      turn: 1,
      result: { status: 'completed', findings: 'codex found it' },
    });
    const progress = await p.ok('team_msg', { operation: 'list', session_id: 'cx', type: 'progress' });
    expect(progress.messages).toEqual([
      expect.objectContaining({ from: 'IMPL-003', summary: '[IMPL-003] scanned (50%)' }),
    ]);

    await until(async () => (await agentRows(p))[0]!.status === 'completed');
    const first = (await agentRows(p))[0]!;
    expect(first.backend_session_id).toMatch(/[0-9a-f-]{36}/);

    await p.ok('followup_task', { target: 'IMPL-003', message: 'Now fix it.' });
    const second = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as {
      agents: Record<string, { result: unknown; turn: number }>;
    };
    expect(second.agents['IMPL-003']).toMatchObject({ turn: 2, result: 'Second task done.' });
    const after = (await agentRows(p))[0]!;
    expect(after.backend_session_id).toBe(first.backend_session_id);
    const resumed = p.model.modelRequests('worker').at(-1)!;
    expect(JSON.stringify(resumed.body.input)).toContain('Find the bug.');
    expect(JSON.stringify(resumed.body.input)).toContain('Now fix it.');

    const pid = after.pid;
    await p.ok('close_agent', { target: 'IMPL-003' });
    if (pid) expect(alive(pid)).toBe(false);
  });
});
