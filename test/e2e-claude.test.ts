/**
 * The real Claude Code binary as a worker, offline: a scripted Anthropic server plays the model,
 * the worker reaches its own maestro server through --mcp-config, and everything it does is
 * observed through the coordinator's tools.
 */
import { describe, expect, it } from 'vitest';
import type { Script } from '../src/scripted/script.js';
import { claudeProject } from './helpers/offline.js';
import { agentRows, alive, until } from './helpers/project.js';
import { pidsWith } from './scripted/harness.js';

const IDENTITY = /task name (?<task>[A-Za-z0-9_.-]+), agent type \S+, team session (?<session>[A-Za-z0-9_.-]+)/;

function worker(steps: Script['conversations'][number]['steps'], final = 'Done.'): Script {
  return { conversations: [{ name: 'worker', match: { system: IDENTITY }, steps, final }] };
}

const PROGRESS_AND_REPORT = [
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
          summary: '[{{task}}] context loaded (40%)',
          data: { task_id: '{{task}}', progress_pct: 40 },
        },
      },
    ],
  },
  {
    calls: [
      {
        tool: 'report_agent_job_result',
        input: { status: 'completed', findings: 'the cart total is computed in src/cart.ts' },
      },
    ],
  },
  { text: 'Reported.' },
];

describe('Claude Code worker', () => {
  it('logs progress, reports, is followed up in the same session, and leaves no process when closed', async () => {
    const p = await claudeProject(worker([...PROGRESS_AND_REPORT, { text: 'Second task done.' }]));
    await p.ok('spawn_agent', {
      task_name: 'IMPL-001',
      backend: 'claude',
      message: 'Find where the cart total is computed.',
      session_id: 'cc',
    });

    const waited = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as {
      agents: Record<string, { result: unknown; turn: number }>;
    };
    expect(waited.agents['IMPL-001']).toMatchObject({
      turn: 1,
      result: { status: 'completed', findings: 'the cart total is computed in src/cart.ts' },
    });

    const progress = await p.ok('team_msg', { operation: 'list', session_id: 'cc', type: 'progress' });
    expect(progress.messages).toEqual([
      expect.objectContaining({
        from: 'IMPL-001',
        summary: '[IMPL-001] context loaded (40%)',
        data: { task_id: 'IMPL-001', progress_pct: 40 },
      }),
    ]);

    // the worker was told who it is, and the task came through as written
    const first = p.model.modelRequests('worker')[0]!;
    expect(first.view!.system).toMatch(/task name IMPL-001, agent type default, team session cc/);
    expect(first.view!.firstUser).toContain('Find where the cart total is computed.');

    await until(async () => (await agentRows(p))[0]!.status === 'completed');
    const before = (await agentRows(p))[0]!;
    expect(before.backend_session_id).toMatch(/[0-9a-f-]{36}/);
    await p.ok('followup_task', { target: 'IMPL-001', message: 'Now write the tests.' });
    const second = (await p.ok('wait_agent', { timeout_ms: 60_000 })) as {
      agents: Record<string, { result: unknown; turn: number }>;
    };
    expect(second.agents['IMPL-001']).toMatchObject({ turn: 2, result: 'Second task done.' });
    const after = (await agentRows(p))[0]!;
    expect(after).toMatchObject({ turns: 2, pid: before.pid, backend_session_id: before.backend_session_id });
    const last = p.model.modelRequests('worker').at(-1)!;
    expect(JSON.stringify(last.body.messages)).toContain('Find where the cart total is computed.');

    await p.ok('close_agent', { target: 'IMPL-001' });
    expect(alive(before.pid!)).toBe(false);
  });

  it('receives a send_message mid-turn: its next model request contains it', async () => {
    const p = await claudeProject(
      worker([
        {
          text: 'Running the slow check.',
          calls: [{ tool: 'Bash', input: { command: 'sleep 2', description: 'slow check' } }],
        },
        { text: 'Noted the hint.' },
      ]),
      { agent_types: { slow_worker: { backend: 'claude', allowed_tools: ['Bash'] } } },
    );
    await p.ok('spawn_agent', {
      task_name: 'IMPL-002',
      agent_type: 'slow_worker',
      message: 'Run the slow check.',
      session_id: 'mid',
    });
    await p.model.waitForRequest((r) => r.plan?.conversation === 'worker' && r.plan.step === 0, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 700)); // the Bash call is now under way
    const sent = await p.ok('send_message', { target: 'IMPL-002', message: 'HINT: the fixtures live in test/data' });
    expect(['injected', 'queued']).toContain(sent.delivery);
    const next = await p.model.waitForRequest((r) => r.plan?.conversation === 'worker' && r.plan.step === 1, 60_000);
    expect(JSON.stringify(next.body.messages)).toContain('HINT: the fixtures live in test/data');
    const waited = (await p.ok('wait_agent', { timeout_ms: 60_000 })) as {
      agents: Record<string, { result: unknown; turn: number }>;
    };
    expect(waited.agents['IMPL-002']).toMatchObject({ turn: 1, result: 'Noted the hint.' });
    // it arrived within turn 1, as mail that is now delivered
    const mailbox = await p.ok('team_msg', { operation: 'mailbox_status', session_id: 'mid', role: 'IMPL-002' });
    expect(mailbox.mailboxes).toEqual([{ role: 'IMPL-002', total: 1, delivered: 1, unread: 0 }]);
  });

  it('resumes the same Claude session in a new process once the old one has gone', async () => {
    const p = await claudeProject(worker([{ text: 'First answer: 42.' }, { text: 'I still remember: 42.' }]), {
      limits: { idle_timeout_ms: 1000 },
    });
    await p.ok('spawn_agent', {
      task_name: 'MEM-1',
      backend: 'claude',
      message: 'Remember the number.',
      session_id: 'res',
    });
    await p.ok('wait_agent', { timeout_ms: 60_000 });
    const first = (await agentRows(p))[0]!;
    await until(async () => (await agentRows(p))[0]!.pid === null, 15_000); // idle: its process let go
    expect(alive(first.pid!)).toBe(false);

    await p.ok('followup_task', { target: 'MEM-1', message: 'What was the number?' });
    const waited = (await p.ok('wait_agent', { timeout_ms: 60_000 })) as {
      agents: Record<string, { result: unknown }>;
    };
    expect(waited.agents['MEM-1']!.result).toBe('I still remember: 42.');
    const second = (await agentRows(p))[0]!;
    expect(second.backend_session_id).toBe(first.backend_session_id);
    expect(second.pid).not.toBe(first.pid);
    const resumed = p.model.modelRequests('worker').at(-1)!;
    expect(JSON.stringify(resumed.body.messages)).toContain('First answer: 42.');
  });

  it('interrupt ends a running turn; the agent stays open for more work', async () => {
    const p = await claudeProject(
      worker([
        {
          text: 'Long job.',
          calls: [
            { tool: 'Bash', input: { command: 'node -e "setTimeout(() => {}, 30000)"', description: 'long job' } },
          ],
        },
        { text: 'after' },
        { text: 'Picked up again.' },
      ]),
      { agent_types: { slow_worker: { backend: 'claude', allowed_tools: ['Bash'] } } },
    );
    await p.ok('spawn_agent', {
      task_name: 'LONG-1',
      agent_type: 'slow_worker',
      message: 'Do the long job.',
      session_id: 'int',
    });
    await p.model.waitForRequest((r) => r.plan?.conversation === 'worker' && r.plan.step === 0, 60_000);
    // The interrupt must land while the long tool call runs: wait for its process, not for a time.
    await until(() => pidsWith('setTimeout(() => {}, 30000)').length > 0, 60_000);
    expect(await p.ok('interrupt_agent', { target: 'LONG-1' })).toEqual({ previous_status: 'running' });
    await until(async () => (await agentRows(p))[0]!.status === 'interrupted', 20_000);
    await p.ok('followup_task', { target: 'LONG-1', message: 'Continue differently.' });
    await until(async () => ['completed', 'errored'].includes((await agentRows(p))[0]!.status), 60_000);
    expect((await agentRows(p))[0]!).toMatchObject({ status: 'completed', turns: 2 });
  });
});
