/**
 * The real Codex binary as a worker, offline: a scripted Responses server plays the model. By
 * default a worker is one `codex app-server` process for as long as its agent is open: a
 * follow-up is a next turn in it, a message mid-turn is steered into the running turn, an
 * interrupt is `turn/interrupt`, and once the process has gone a follow-up resumes the thread in a
 * new one. `backends.codex.transport: "exec"` keeps the old process-per-turn transport.
 * Our server is added with -c overrides and its tools are approved so the worker's calls go through.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Script, Step, StepContext } from '../src/scripted/script.js';
import { codexProject, type OfflineProject } from './helpers/offline.js';
import { agentRows, alive, until } from './helpers/project.js';
import { pidsWith } from './scripted/harness.js';

const IDENTITY = /task name (?<task>[A-Za-z0-9_.-]+), agent type \S+, team session (?<session>[A-Za-z0-9_.-]+)/;
const identity = (request: StepContext['request']) =>
  IDENTITY.exec(request.userTexts.join('\n') + request.system)?.groups ?? null;

type Waited = { agents: Record<string, { status: string; result: unknown; turn: number; error?: string }> };

const logStep = (summary: string): Step => ({
  text: 'Working.',
  calls: [
    {
      tool: 'team_msg',
      input: { operation: 'log', session_id: '{{session}}', from: '{{task}}', type: 'progress', summary },
    },
  ],
});

const reportScript: Script = {
  conversations: [
    {
      name: 'worker',
      match: identity,
      steps: [
        logStep('[{{task}}] scanned (50%)'),
        { calls: [{ tool: 'report_agent_job_result', input: { status: 'completed', findings: 'codex found it' } }] },
        { text: 'Reported.' },
        { text: 'Second task done.' },
      ],
    },
  ],
};

/** Until the model has been told `marker` (a user message anywhere in its input), it keeps working: a cheap call per step. */
function untilTold(marker: string, answer: (said: string) => string, holdMs = 300): (ctx: StepContext) => Step {
  return (ctx) => {
    const said = ctx.request.userTexts.find((text) => text.includes(marker));
    if (said !== undefined) return { text: answer(said) };
    return {
      text: 'Still working.',
      calls: [{ tool: 'team_msg', input: { operation: 'mailbox_status', session_id: ctx.vars.session! } }],
      delayMs: holdMs,
    };
  };
}

/** Processes whose command line names this project's directory (codex names its maestro-tools server's database there). */
const processesOf = (p: OfflineProject) => pidsWith(path.join(p.dir, '.maestro'));

// Real CLIs on a loaded 2-core machine: a test waits for events, with deadlines well past the suite's 30 s default.
describe('Codex worker (app-server)', { timeout: 240_000 }, () => {
  it('logs progress, reports, takes a follow-up in the same process and thread, and leaves no process when closed', async () => {
    const p = await codexProject(reportScript);
    await p.ok('spawn_agent', { task_name: 'IMPL-003', backend: 'codex', message: 'Find the bug.', session_id: 'cx' });
    const waited = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as Waited;
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
    expect(first.pid).not.toBeNull(); // the process stays for the next turn
    // Usage is the turn's token counts (thread/tokenUsage/updated); codex reports no cost, so
    // maestro prices the tokens by the model codex named (the default table: at most $10/M tokens).
    const usage = ((await p.ok('list_agents', {})).agents as Array<{ usage: Record<string, number> }>)[0]!.usage;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.cost_usd).toBeGreaterThan(0);
    expect(usage.cost_usd).toBeLessThanOrEqual(((usage.input_tokens! + usage.output_tokens!) * 10) / 1e6);

    await p.ok('followup_task', { target: 'IMPL-003', message: 'Now fix it.' });
    const second = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as Waited;
    expect(second.agents['IMPL-003']).toMatchObject({ turn: 2, result: 'Second task done.' });
    const after = (await agentRows(p))[0]!;
    expect(after).toMatchObject({ pid: first.pid, backend_session_id: first.backend_session_id });
    const next = p.model.modelRequests('worker').at(-1)!;
    expect(JSON.stringify(next.body.input)).toContain('Find the bug.');
    expect(JSON.stringify(next.body.input)).toContain('Now fix it.');

    expect(processesOf(p).length).toBeGreaterThan(0);
    await p.ok('close_agent', { target: 'IMPL-003' });
    expect(alive(first.pid!)).toBe(false);
    await until(() => processesOf(p).length === 0, 10_000);
  });

  it('takes a send_message mid-turn: delivery "injected", and the model sees it in the same turn', async () => {
    const MARK = 'HINT-7: the fixtures live in test/data';
    const p = await codexProject({
      conversations: [
        {
          name: 'worker',
          match: identity,
          steps: [logStep('started'), ...Array.from({ length: 80 }, () => untilTold('HINT-7', () => 'Used the hint.'))],
        },
      ],
    });
    await p.ok('spawn_agent', {
      task_name: 'STEER-1',
      backend: 'codex',
      message: 'Look for the fixtures.',
      session_id: 'st',
    });
    // The worker has called a tool and is mid-turn, working until it hears the hint.
    await p.model.waitForRequest((r) => r.plan?.conversation === 'worker' && r.plan.step === 1, 90_000);
    const sent = await p.ok('send_message', { target: 'STEER-1', message: MARK });
    expect(sent.delivery).toBe('injected');
    const waited = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as Waited;
    expect(waited.agents['STEER-1']).toMatchObject({ status: 'completed', turn: 1, result: 'Used the hint.' });
    const told = p.model.modelRequests('worker').find((r) => JSON.stringify(r.body.input).includes('HINT-7'))!;
    // The request that carried the hint continued turn 1: the task and the tool call before it are its history.
    expect(JSON.stringify(told.body.input)).toContain('Look for the fixtures.');
    expect(told.plan!.step).toBeGreaterThan(0);
    const mailbox = await p.ok('team_msg', { operation: 'mailbox_status', session_id: 'st', role: 'STEER-1' });
    expect(mailbox.mailboxes).toEqual([{ role: 'STEER-1', total: 1, delivered: 1, unread: 0 }]);
    expect((await agentRows(p))[0]!.turns).toBe(1);
  });

  it('interrupt_agent ends the running turn through turn/interrupt; the same process takes the follow-up', async () => {
    const p = await codexProject({
      conversations: [
        {
          name: 'worker',
          match: identity,
          steps: [
            logStep('started'),
            (ctx) =>
              ctx.request.userTexts.some((t) => t.includes('Continue differently'))
                ? { text: 'Picked up again.' }
                : { text: 'too late', delayMs: 600_000 },
            { text: 'Picked up again.' },
          ],
        },
      ],
    });
    await p.ok('spawn_agent', {
      task_name: 'LONG-1',
      backend: 'codex',
      message: 'Do the long job.',
      session_id: 'int',
    });
    await p.model.waitForRequest((r) => r.plan?.conversation === 'worker' && r.plan.step === 1, 90_000);
    const before = (await agentRows(p))[0]!;
    expect(await p.ok('interrupt_agent', { target: 'LONG-1' })).toEqual({ previous_status: 'running' });
    await until(async () => (await agentRows(p))[0]!.status === 'interrupted', 30_000);
    expect((await agentRows(p))[0]!.pid).toBe(before.pid); // the turn ended, not the process

    await p.ok('followup_task', { target: 'LONG-1', message: 'Continue differently.' });
    const waited = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as Waited;
    expect(waited.agents['LONG-1']).toMatchObject({ status: 'completed', turn: 2, result: 'Picked up again.' });
    expect((await agentRows(p))[0]!).toMatchObject({ pid: before.pid, turns: 2 });
  });

  it('resumes the same thread in a new process once the old one was killed', async () => {
    const p = await codexProject({
      conversations: [
        { name: 'worker', match: identity, steps: [{ text: 'First answer: 42.' }, { text: 'I still remember: 42.' }] },
      ],
    });
    await p.ok('spawn_agent', {
      task_name: 'MEM-1',
      backend: 'codex',
      message: 'Remember the number.',
      session_id: 'res',
    });
    await p.ok('wait_agent', { timeout_ms: 90_000 });
    const first = (await agentRows(p))[0]!;
    expect(first.pid).not.toBeNull();
    process.kill(-first.pid!, 'SIGKILL'); // its whole process group: the npm shim and the native codex
    await until(async () => (await agentRows(p))[0]!.pid === null, 20_000);

    await p.ok('followup_task', { target: 'MEM-1', message: 'What was the number?' });
    const waited = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as Waited;
    expect(waited.agents['MEM-1']).toMatchObject({ status: 'completed', turn: 2, result: 'I still remember: 42.' });
    const second = (await agentRows(p))[0]!;
    expect(second.backend_session_id).toBe(first.backend_session_id);
    expect(second.pid).not.toBe(first.pid);
    const resumed = p.model.modelRequests('worker').at(-1)!;
    expect(JSON.stringify(resumed.body.input)).toContain('Remember the number.');
    expect(JSON.stringify(resumed.body.input)).toContain('First answer: 42.');
  });
});

describe('Codex worker (exec fallback)', { timeout: 240_000 }, () => {
  it('runs each turn in a process of its own, the next one resuming the thread', async () => {
    const p = await codexProject(reportScript, { backends: { codex: { transport: 'exec' } } });
    await p.ok('spawn_agent', { task_name: 'IMPL-004', backend: 'codex', message: 'Find the bug.', session_id: 'ex' });
    const waited = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as Waited;
    expect(waited.agents['IMPL-004']).toMatchObject({
      turn: 1,
      result: { status: 'completed', findings: 'codex found it' },
    });
    await until(async () => (await agentRows(p))[0]!.pid === null, 20_000); // exec: the process ends with its turn
    const first = (await agentRows(p))[0]!;

    await p.ok('followup_task', { target: 'IMPL-004', message: 'Now fix it.' });
    const second = (await p.ok('wait_agent', { timeout_ms: 90_000 })) as Waited;
    expect(second.agents['IMPL-004']).toMatchObject({ turn: 2, result: 'Second task done.' });
    expect((await agentRows(p))[0]!.backend_session_id).toBe(first.backend_session_id);
    const resumed = p.model.modelRequests('worker').at(-1)!;
    expect(JSON.stringify(resumed.body.input)).toContain('Find the bug.');
  });
});
