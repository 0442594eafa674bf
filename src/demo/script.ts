/**
 * What the scripted model says in the offline demo, for each agent: the lead follows the
 * team-coordinate skill (reads its role, writes the task graph, spawns, passes findings on, wakes
 * the supervisor for a checkpoint, closes everyone, reports), deciding each reply from the news
 * maestro pushed to it; three workers and the supervisor log milestones, write their deliverables
 * and report. Conversations are matched by the identity maestro puts in each agent's system prompt.
 */
import path from 'node:path';
import { parsePushedNews } from '../ops/team/inbox.js';
import type { RequestView, Script, Step, StepContext, ToolCall } from '../scripted/script.js';

const IDENTITY =
  /task name (?<task>[A-Za-z0-9_.-]+), agent type (?<type>\S+), team session (?<session>[A-Za-z0-9_.-]+)/;

function cwdOf(request: RequestView): string {
  const context = [request.system, ...request.userTexts].join('\n');
  return /Primary working directory: (\S+)/.exec(context)?.[1] ?? process.cwd();
}

const call = (tool: string, input: ToolCall['input']): ToolCall => ({ tool, input });

function progress(ctx: StepContext, pct: number, phase: string, type = 'progress'): ToolCall {
  const { task, session } = ctx.vars;
  return call('team_msg', {
    operation: 'log',
    session_id: session!,
    from: task!,
    type,
    summary: `[${task}] ${phase}${type === 'progress' ? ` (${pct}%)` : ''}`,
    data: { task_id: task!, status: type === 'blocker' ? 'blocked' : 'in_progress', progress_pct: pct, phase },
  });
}

function artifact(ctx: StepContext, name: string, content: string): ToolCall {
  const file = path.join(cwdOf(ctx.request), '.workflow', '.team', ctx.vars.session!, 'artifacts', `${name}.md`);
  return call('Write', { file_path: file, content });
}

function report(ctx: StepContext, result: Record<string, unknown>): ToolCall {
  return call('report_agent_job_result', { status: 'completed', ...result });
}

function complete(ctx: StepContext, summary: string): ToolCall {
  const { task, session } = ctx.vars;
  return call('team_msg', {
    operation: 'log',
    session_id: session!,
    from: task!,
    type: 'task_complete',
    summary: `[${task}] ${summary}`,
    data: { task_id: task!, status: 'completed', progress_pct: 100 },
  });
}

const CART = `import { products } from './products.js';

/** A cart is a list of { id, quantity } lines. */
export function addLine(cart, id, quantity = 1) {
  return [...cart, { id, quantity }];
}

/** The sum of price × quantity over the cart's lines, rounded to cents. */
export function cartTotal(cart) {
  const cents = cart.reduce((sum, line) => {
    const product = products.find((p) => p.id === line.id);
    if (!product) throw new Error(\`unknown product \${line.id}\`);
    return sum + Math.round(product.price * 100) * line.quantity;
  }, 0);
  return cents / 100;
}
`;

const TESTS = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addLine, cartTotal } from '../src/cart.js';

test('an empty cart costs nothing', () => assert.equal(cartTotal([]), 0));
test('prices times quantities, in cents', () => {
  const cart = addLine(addLine([], 'apple', 3), 'bread');
  assert.equal(cartTotal(cart), 3.75);
});
test('an unknown product is an error', () => assert.throws(() => cartTotal([{ id: 'caviar', quantity: 1 }])));
`;

function worker(task: string, steps: Array<(ctx: StepContext) => Step>, final: string) {
  return {
    name: task,
    match: (request: RequestView) => {
      const found = IDENTITY.exec(request.system)?.groups;
      return found?.task === task ? { ...found } : null;
    },
    steps,
    final,
  };
}

export function demoScript(options: { session: string; requirement: string }): Script {
  const { session, requirement } = options;
  const root = (ctx: StepContext) => cwdOf(ctx.request);
  const state = (ctx: StepContext) => path.join(root(ctx), '.workflow', '.team', session);
  const assignment = (task: string, role: string, extra: string) =>
    [
      '## Role assignment',
      `role: ${role}`,
      `task_id: ${task}`,
      `session_id: ${session}`,
      `session_folder: .workflow/.team/${session}`,
      `role_spec: .claude/skills/team-coordinate/roles/${role === 'supervisor' ? 'supervisor' : 'worker'}/role.md`,
      `requirement: ${requirement}`,
      extra,
    ].join('\n');
  const tasks = {
    session_id: session,
    requirement,
    tasks: [
      { id: 'PLAN-001', role: 'planner', title: 'Plan cartTotal', deps: [], status: 'pending' },
      { id: 'IMPL-001', role: 'implementer', title: 'Implement cartTotal', deps: ['PLAN-001'], status: 'pending' },
      { id: 'TEST-001', role: 'tester', title: 'Test cartTotal', deps: ['PLAN-001'], status: 'pending' },
      {
        id: 'CHECKPOINT-001',
        role: 'supervisor',
        title: 'Check plan, code and tests agree',
        deps: ['IMPL-001', 'TEST-001'],
        status: 'pending',
      },
    ],
  };
  /** What the lead's conversation holds so far: the news pushed to it and the calls it made. */
  const history = (ctx: StepContext) => {
    const finished: Array<{ task_name: string; turn: number }> = [];
    for (const text of ctx.request.userTexts) finished.push(...(parsePushedNews(text)?.finished ?? []));
    const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
    for (const message of ctx.request.body.messages ?? []) {
      if (message.role !== 'assistant' || !Array.isArray(message.content)) continue;
      for (const block of message.content)
        if (block.type === 'tool_use') calls.push({ name: String(block.name), input: block.input ?? {} });
    }
    const did = (tool: string, field: string, value: string) =>
      calls.some((c) => c.name.endsWith(tool) && c.input[field] === value);
    const done = (task: string, turn = 1) => finished.some((f) => f.task_name === task && f.turn >= turn);
    return { did, done, calls };
  };
  const skillRoot = (ctx: StepContext) =>
    /installed for you at (\S+?):/.exec(ctx.request.firstUser)?.[1] ??
    path.join(root(ctx), '.claude', 'skills', 'team-coordinate');
  const waiting = (what: string): Step => ({ text: `Waiting for ${what}; maestro pushes their news to me.` });

  /**
   * The lead decides each reply from its whole conversation (what news it was pushed, what it has
   * done), not from a step count: how many pushes arrive, and when, depends on the workers' pace.
   */
  const lead = (ctx: StepContext): Step => {
    const { did, done, calls } = history(ctx);
    const assign = (task: string, role: string, extra: string) =>
      assignment(task, role, extra).replace(
        /^role_spec: .*$/m,
        `role_spec: ${path.join(skillRoot(ctx), 'roles', role === 'supervisor' ? 'supervisor' : 'worker', 'role.md')}`,
      );
    if (!calls.some((c) => c.name === 'Read'))
      return {
        text: 'I will lead a team for this requirement. First, the coordinator’s rules.',
        calls: [call('Read', { file_path: path.join(skillRoot(ctx), 'roles', 'coordinator', 'role.md') })],
      };
    if (!calls.some((c) => c.name === 'Write'))
      return {
        text: `Analysis: three tasks and a checkpoint. Session ${session}.`,
        calls: [
          call('Write', {
            file_path: path.join(state(ctx), 'tasks.json'),
            content: `${JSON.stringify(tasks, null, 2)}\n`,
          }),
        ],
      };
    if (!did('spawn_agent', 'task_name', 'PLAN-001'))
      return {
        text: 'Spawning the resident supervisor and the planner.',
        calls: [
          call('spawn_agent', {
            agent_type: 'team_supervisor',
            task_name: 'SUPERVISOR',
            session_id: session,
            message: assign('SUPERVISOR', 'supervisor', 'Stand by until a checkpoint request arrives.'),
          }),
          call('spawn_agent', {
            agent_type: 'team_worker',
            task_name: 'PLAN-001',
            session_id: session,
            message: assign('PLAN-001', 'planner', 'Write the plan for cartTotal: signature, rounding, errors.'),
          }),
        ],
      };
    if (!done('PLAN-001')) return waiting('PLAN-001');
    if (!did('spawn_agent', 'task_name', 'IMPL-001'))
      return {
        text: 'The plan is in. Closing the planner; implementer and tester run in parallel.',
        calls: [
          call('close_agent', { target: 'PLAN-001' }),
          call('spawn_agent', {
            agent_type: 'team_worker',
            task_name: 'IMPL-001',
            session_id: session,
            message: assign(
              'IMPL-001',
              'implementer',
              'Upstream: artifacts/PLAN-001.md. Implement cartTotal in src/cart.js.',
            ),
          }),
          call('spawn_agent', {
            agent_type: 'team_worker',
            task_name: 'TEST-001',
            session_id: session,
            message: assign(
              'TEST-001',
              'tester',
              'Upstream: artifacts/PLAN-001.md. Write tests for cartTotal in test/cart.test.js.',
            ),
          }),
        ],
      };
    if (!did('send_message', 'target', 'TEST-001'))
      return {
        calls: [
          call('send_message', {
            target: 'TEST-001',
            message:
              'From PLAN-001: cartTotal(cart) returns a number of currency units rounded to cents; unknown ids throw.',
          }),
        ],
      };
    if (!done('IMPL-001') || !done('TEST-001')) return waiting('IMPL-001 and TEST-001');
    if (!did('followup_task', 'target', 'SUPERVISOR'))
      return {
        text: 'Both done. Waking the supervisor for CHECKPOINT-001.',
        calls: [
          call('followup_task', {
            target: 'SUPERVISOR',
            message: `CHECKPOINT-001: check that PLAN-001, IMPL-001 and TEST-001 agree (artifacts in .workflow/.team/${session}/artifacts).`,
          }),
        ],
      };
    if (!done('SUPERVISOR', 2)) return waiting('the supervisor’s checkpoint');
    if (!calls.some((c) => c.name.endsWith('team_msg')))
      return { calls: [call('team_msg', { operation: 'list', session_id: session, type: 'progress', last: 50 })] };
    if (!did('close_agent', 'target', 'SUPERVISOR'))
      return {
        text: 'Checkpoint passed. Closing the team.',
        calls: [
          call('close_agent', { target: 'IMPL-001' }),
          call('close_agent', { target: 'TEST-001' }),
          call('close_agent', { target: 'SUPERVISOR' }),
        ],
      };
    return {
      text: [
        `## Team report — ${session}`,
        '',
        `Requirement: ${requirement}`,
        '',
        '| task | result |',
        '|---|---|',
        '| PLAN-001 | plan written |',
        '| IMPL-001 | cartTotal implemented in src/cart.js |',
        '| TEST-001 | 3 tests in test/cart.test.js |',
        '| CHECKPOINT-001 | pass (score 92) |',
        '',
        `Timeline: maestro msg list -s ${session}`,
      ].join('\n'),
    };
  };

  return {
    conversations: [
      worker(
        'PLAN-001',
        [
          (ctx) => ({ text: 'Reading the cart module.', calls: [progress(ctx, 30, 'context loaded')] }),
          (ctx) => ({
            calls: [
              artifact(
                ctx,
                'PLAN-001',
                '# Plan\n\n- `cartTotal(cart)`: sum of price × quantity, in cents, returned in units.\n- Unknown product ids throw.\n',
              ),
              progress(ctx, 80, 'plan written'),
            ],
          }),
          (ctx) => ({
            calls: [
              report(ctx, {
                summary: 'cartTotal plan: cents arithmetic, unknown ids throw',
                deliverable: 'artifacts/PLAN-001.md',
              }),
            ],
          }),
          (ctx) => ({ calls: [complete(ctx, 'plan delivered')] }),
        ],
        'PLAN-001 done.',
      ),
      worker(
        'IMPL-001',
        [
          (ctx) => ({ text: 'Reading the plan.', calls: [progress(ctx, 25, 'plan and cart.js read')] }),
          (ctx) => ({
            calls: [
              call('Write', { file_path: path.join(root(ctx), 'src', 'cart.js'), content: CART }),
              progress(ctx, 75, 'cartTotal implemented'),
            ],
          }),
          (ctx) => ({
            calls: [
              artifact(
                ctx,
                'IMPL-001',
                '# Implementation\n\n`cartTotal` added to src/cart.js (integer cents, throws on unknown ids).\n',
              ),
              report(ctx, {
                summary: 'cartTotal implemented',
                files: ['src/cart.js'],
                deliverable: 'artifacts/IMPL-001.md',
              }),
            ],
          }),
          (ctx) => ({ calls: [complete(ctx, 'cartTotal implemented')] }),
        ],
        'IMPL-001 done.',
      ),
      worker(
        'TEST-001',
        [
          (ctx) => ({
            text: 'src/cart.js has no cartTotal yet.',
            calls: [
              progress(ctx, 10, 'cartTotal is not in src/cart.js yet: testing against the plan’s signature', 'blocker'),
            ],
          }),
          (ctx) => ({ calls: [progress(ctx, 40, 'test plan ready')] }),
          (ctx) => ({
            calls: [
              call('Write', { file_path: path.join(root(ctx), 'test', 'cart.test.js'), content: TESTS }),
              progress(ctx, 80, 'tests written'),
            ],
          }),
          (ctx) => ({
            calls: [
              artifact(
                ctx,
                'TEST-001',
                '# Tests\n\nThree tests in test/cart.test.js: empty cart, prices × quantities, unknown id.\n',
              ),
              report(ctx, {
                summary: '3 tests for cartTotal',
                files: ['test/cart.test.js'],
                deliverable: 'artifacts/TEST-001.md',
              }),
            ],
          }),
          (ctx) => ({ calls: [complete(ctx, 'tests delivered')] }),
        ],
        'TEST-001 done.',
      ),
      worker(
        'SUPERVISOR',
        [
          () => ({ text: 'Supervisor ready. Waiting for a checkpoint request.' }),
          (ctx) => ({
            text: 'Checking the upstream deliverables.',
            calls: [progress(ctx, 50, 'CHECKPOINT-001: plan, code and tests read')],
          }),
          (ctx) => ({
            calls: [
              call('Write', {
                file_path: path.join(state(ctx), 'checkpoints', 'CHECKPOINT-001-report.md'),
                content:
                  '# CHECKPOINT-001\n\nVerdict: pass (92)\n\n- The implementation follows the plan.\n- The tests cover the plan’s three cases.\n',
              }),
              report(ctx, { checkpoint: 'CHECKPOINT-001', verdict: 'pass', score: 92, issues: [] }),
            ],
          }),
          (ctx) => ({ calls: [complete(ctx, 'CHECKPOINT-001 passed (92)')] }),
        ],
        'Checkpoint done.',
      ),
      // Every request of the lead is decided afresh; the steps never run out before the team is done.
      {
        name: 'lead',
        match: { system: /task name lead, agent type lead/ },
        steps: Array.from({ length: 200 }, () => lead),
        final: 'The team is done.',
      },
    ],
    fallback: 'OK.',
  };
}
