/**
 * `maestro team` end to end, as a person runs it from a shell: the real `maestro` binary runs a
 * real Claude Code (or Codex) lead, which runs real Claude Code workers, all against the scripted
 * model. What the model was sent proves what each agent was told and when.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { NEWS_HEADER, parsePushedNews } from '../src/ops/team/inbox.js';
import { startAnthropicServer } from '../src/scripted/anthropic.js';
import type { ScriptedServer } from '../src/scripted/http.js';
import { claudeOfflineEnv, codexOfflineEnv } from '../src/scripted/offline-env.js';
import { startOpenAIServer } from '../src/scripted/openai.js';
import type { RequestView, Script, Step, StepContext } from '../src/scripted/script.js';
import type { AgentRecord } from '../src/store/records.js';
import { maestro, spawnMaestro } from './helpers/cli.js';
import { ROOT } from './helpers/paths.js';
import { gitProject, until } from './helpers/project.js';
import { processesWithEnv } from './helpers/processes.js';

const BIN = path.join(ROOT, 'node_modules', '.bin');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const DIRECTIVE = 'Use tabs, not spaces';

/** What a lead's conversation holds: the news pushed to it, the tool calls it made (either API). */
function history(request: RequestView) {
  const finished = request.userTexts.flatMap((t) => parsePushedNews(t)?.finished ?? []);
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  if (request.api === 'anthropic') {
    for (const m of request.body.messages ?? [])
      if (m.role === 'assistant' && Array.isArray(m.content))
        for (const b of m.content)
          if (b.type === 'tool_use') calls.push({ name: String(b.name), input: b.input ?? {} });
  } else {
    for (const item of request.body.input ?? [])
      if (item.type === 'function_call')
        calls.push({ name: String(item.name), input: JSON.parse(item.arguments ?? '{}') });
  }
  const did = (tool: string, target: string) =>
    calls.some((c) => c.name.endsWith(tool) && (c.input.task_name === target || c.input.target === target));
  const done = (task: string, turn = 1) => finished.some((f) => f.task_name === task && f.turn >= turn);
  return { did, done, calls, finished };
}

interface LeadPlan {
  /** The tool names to call: Claude Code finds maestro's by suffix, Codex needs the namespaced name. */
  tool: (name: string) => string;
  workers: string[];
  /** Whether a resumed lead follows up this worker before it can finish. */
  resumeFollowup?: string;
}

/** A lead that spawns its workers, ends its turn, and acts on each push: closes them and reports when all are done. */
function leadConversation(session: string, plan: LeadPlan) {
  const decide = (ctx: StepContext): Step => {
    const { did, done } = history(ctx.request);
    const resumed = ctx.request.userTexts.some((t) => t.includes('is picked up again'));
    const notSpawned = plan.workers.filter((w) => !did('spawn_agent', w));
    if (notSpawned.length)
      return {
        text: 'Starting the team.',
        calls: notSpawned.map((w) => ({
          tool: plan.tool('spawn_agent'),
          input: { agent_type: 'team_worker', task_name: w, session_id: session, message: `Do ${w}'s part.` },
        })),
      };
    const again = plan.resumeFollowup;
    if (resumed && again && !did('followup_task', again))
      return {
        calls: [{ tool: plan.tool('followup_task'), input: { target: again, message: 'Carry on where you were.' } }],
      };
    const waitingFor = plan.workers.filter((w) => !done(w, resumed && w === again ? 2 : 1));
    if (waitingFor.length) return { text: `Waiting for ${waitingFor.join(', ')}.` };
    const open = plan.workers.filter((w) => !did('close_agent', w));
    if (open.length) return { calls: open.map((w) => ({ tool: plan.tool('close_agent'), input: { target: w } })) };
    return { text: `REPORT: ${plan.workers.join(' and ')} finished${resumed ? ' after the resume' : ''}.` };
  };
  return {
    name: 'lead',
    match: { system: /task name lead, agent type lead/ },
    steps: Array.from({ length: 100 }, () => decide),
    final: 'REPORT: done.',
  };
}

const releaseFile = (dir: string) => path.join(dir, '.release');

/** A worker whose first step is a shell command that runs until the test releases it. */
function heldWorker(task: string, dir: string) {
  return {
    name: task,
    match: { system: new RegExp(`task name ${task},`) },
    steps: [
      {
        text: 'Working on it.',
        calls: [
          {
            tool: 'Bash',
            input: { command: `until [ -f ${releaseFile(dir)} ]; do sleep 0.1; done; echo released`, timeout: 600_000 },
          },
        ],
      },
      { calls: [{ tool: 'report_agent_job_result', input: { status: 'completed', summary: `${task} built it` } }] },
    ],
    final: `${task} done.`,
  };
}

function quickWorker(task: string) {
  return {
    name: task,
    match: { system: new RegExp(`task name ${task},`) },
    steps: [
      { calls: [{ tool: 'report_agent_job_result', input: { status: 'completed', summary: `${task} checked it` } }] },
    ],
    final: `${task} done.`,
  };
}

interface Team {
  dir: string;
  env: Record<string, string>;
  model: ScriptedServer;
  lead: ScriptedServer;
}

/** A project whose workers may run shell commands, and the offline environment of Claude Code (and Codex for a Codex lead). */
async function teamProject(scriptFor: (dir: string) => Script, leadScript?: Script): Promise<Team> {
  const dir = gitProject();
  const script = scriptFor(dir);
  mkdirSync(path.join(dir, '.maestro'), { recursive: true });
  writeFileSync(
    path.join(dir, '.maestro', 'config.json'),
    JSON.stringify({ agent_types: { team_worker: { backend: 'claude', allowed_tools: ['Bash'] } } }),
  );
  writeFileSync(path.join(dir, '.gitignore'), '.maestro/\n.release\n');
  const model = await startAnthropicServer(script);
  cleanups.push(() => model.close());
  const claude = claudeOfflineEnv({ baseUrl: model.url, extra: { PATH: `${BIN}:${process.env.PATH}` } });
  cleanups.push(claude.cleanup);
  if (!leadScript) return { dir, env: claude.env, model, lead: model };
  const lead = await startOpenAIServer(leadScript);
  cleanups.push(() => lead.close());
  const codex = codexOfflineEnv({ baseUrl: lead.url, extra: { PATH: `${BIN}:${process.env.PATH}` } });
  cleanups.push(codex.cleanup);
  const fromClaude = Object.fromEntries(
    Object.entries(claude.env).filter(([k]) => /^(CLAUDE_|ANTHROPIC_|ENABLE_TOOL_SEARCH)/.test(k)),
  );
  return { dir, env: { ...codex.env, ...fromClaude }, model, lead };
}

function runTeam(team: Team, args: string[]) {
  const child = spawnMaestro(['team', ...args], { cwd: team.dir, env: team.env });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    output: () => stdout,
    exited: child.then((r) => ({ code: r.exitCode, stdout, stderr })),
  };
}

async function agentsOf(team: Team, session: string): Promise<AgentRecord[]> {
  const store = openSqliteStore(path.join(team.dir, '.maestro', 'maestro.db'), { create: false });
  try {
    return await store.agents.list({ sessionId: session });
  } finally {
    await store.close();
  }
}

/** The shell command a held worker runs, while it runs. */
function holding(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(releaseFile(dir))) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

function transcriptOf(team: Team, agent: AgentRecord): string {
  const file = path.join(team.dir, '.maestro', 'agents', agent.id, 'transcript.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

const leftovers = (agents: AgentRecord[]) => agents.flatMap((a) => processesWithEnv(`MAESTRO_AGENT_ID=${a.id}`));

describe('maestro team', () => {
  it('runs a Claude Code lead to its report; steering from another shell reaches the running worker mid-turn and every later lead turn; each completion is pushed once', async () => {
    const session = 'TC-x';
    const team = await teamProject((dir) => ({
      conversations: [
        leadConversation(session, { tool: (n) => n, workers: ['DEV-1', 'TEST-1'] }),
        heldWorker('DEV-1', dir),
        quickWorker('TEST-1'),
      ],
    }));
    const run = runTeam(team, ['--dev', '1', '--test', '1', '--session', session, 'Build', 'the', 'thing']);

    // DEV-1 is in its turn, its shell command under way; TEST-1 has finished and the lead heard of it.
    await until(() => holding(team.dir).length > 0, 120_000);
    await until(
      async () => (await agentsOf(team, session)).some((a) => a.task_name === 'TEST-1' && a.status === 'completed'),
      120_000,
    );

    const steer = await maestro(['steer', '-s', session, DIRECTIVE], { cwd: team.dir, env: team.env });
    expect(steer.stderr).toBe('');
    expect(steer.stdout).toMatch(/^steering #1 in force in session TC-x \(MSG-\d+\): Use tabs, not spaces$/);
    // It is handed to DEV-1 inside its running turn (a tool call is under way), then the command ends.
    const dev = (await agentsOf(team, session)).find((a) => a.task_name === 'DEV-1')!;
    await until(() => transcriptOf(team, dev).includes(`[OPERATOR STEERING] ${DIRECTIVE}`), 60_000);
    writeFileSync(releaseFile(team.dir), '');

    const result = await run.exited;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    // The worker's turn continued with the directive in it: its next request, same turn.
    const devRequests = team.model.modelRequests('DEV-1');
    const afterTool = devRequests.find((r) => r.view!.step === 1)!;
    expect(JSON.stringify(afterTool.body.messages)).toContain(`[OPERATOR STEERING] ${DIRECTIVE}`);
    const agents = await agentsOf(team, session);
    expect(agents.find((a) => a.task_name === 'DEV-1')!.turn).toBe(1);

    // The lead: told its roster; every completion pushed once, never waited for; the directive
    // in every lead turn maestro started after it was given.
    const lead = team.model.modelRequests('lead');
    expect(lead[0]!.view!.firstUser).toContain(
      'Roster: the team has exactly these workers, by role: developer ×1, tester ×1.',
    );
    const last = lead.at(-1)!.view!;
    const { finished, calls } = history(last);
    expect(finished.map((f) => `${f.task_name}#${f.turn}`).sort()).toEqual(['DEV-1#1', 'TEST-1#1']);
    expect(calls.filter((c) => c.name.endsWith('wait_agent'))).toEqual([]);
    const turnsAfter = last.userTexts.slice(last.userTexts.findIndex((t) => t.includes(DIRECTIVE)));
    expect(turnsAfter.length).toBeGreaterThan(0);
    for (const text of turnsAfter.filter((t) => t.startsWith('[maestro]') || t.startsWith('[OPERATOR')))
      expect(text).toContain(`[OPERATOR STEERING] ${DIRECTIVE}`);
    expect(last.userTexts.filter((t) => t.includes(NEWS_HEADER)).length).toBeGreaterThan(0);

    // The terminal: the live view, the steering, the pushes, the report, the timeline, the summary.
    const out = result.stdout;
    expect(out).toMatch(/maestro team — session TC-x, lead claude/);
    expect(out).toMatch(/▶ DEV-1 +started \(team_worker\)/);
    expect(out).toMatch(/⚑ operator +steering: Use tabs, not spaces/);
    expect(out).toMatch(/↳ news pushed to the lead: turn 2/);
    expect(out).toMatch(/The lead’s report\n  REPORT: DEV-1 and TEST-1 finished\./);
    expect(out).toContain('The bus — maestro msg list -s TC-x');
    expect(out).toMatch(/team +completed/);
    expect(out).toMatch(/agents +3: lead shutdown, DEV-1 shutdown, TEST-1 shutdown/);
    expect(out).toContain('processes left behind: 0');

    // The directive is on the bus for anyone to read, and nothing of the team runs any more.
    const bus = await maestro(['msg', 'list', '-s', session, '--type', 'steering'], { cwd: team.dir, env: team.env });
    expect(bus.stdout).toMatch(/user +→ all +\(steering\) Use tabs, not spaces/);
    expect(leftovers(agents)).toEqual([]);
  }, 300_000);

  it('Ctrl-C stops the whole team leaving no process, and resume continues the same lead session to the end', async () => {
    const session = 'TC-stop';
    const team = await teamProject((dir) => ({
      conversations: [
        leadConversation(session, { tool: (n) => n, workers: ['DEV-1'], resumeFollowup: 'DEV-1' }),
        heldWorker('DEV-1', dir),
      ],
    }));
    const run = runTeam(team, ['--dev', '1', '--session', session, 'Build', 'it']);
    await until(() => holding(team.dir).length > 0, 120_000);
    const before = await agentsOf(team, session);
    const leadBefore = before.find((a) => a.task_name === 'lead')!;

    run.child.kill('SIGINT');
    const stopped = await run.exited;
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toContain('stopping the team (Ctrl-C)');
    expect(stopped.stdout).toMatch(/team +stopped/);
    expect(stopped.stdout).toContain(`resume    maestro team resume ${session}`);
    // Nothing of the team is left: not the lead, not its server, not the worker nor its shell command.
    expect(leftovers(before)).toEqual([]);
    expect(holding(team.dir)).toEqual([]);
    const after = await agentsOf(team, session);
    expect(after.every((a) => a.status !== 'shutdown' && a.pid === null)).toBe(true);

    writeFileSync(releaseFile(team.dir), '');
    const resumed = await runTeam(team, ['resume', session]).exited;
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/REPORT: DEV-1 finished after the resume\./);

    // The same lead, in its own CLI session: the first request after the resume carries what came before.
    const leadAfter = (await agentsOf(team, session)).find((a) => a.task_name === 'lead')!;
    expect(leadAfter.id).toBe(leadBefore.id);
    expect(leadAfter.backend_session_id).toBe(leadBefore.backend_session_id);
    const leadRequests = team.model.modelRequests('lead');
    const firstResumed = leadRequests.find((r) => r.view!.userTexts.some((t) => t.includes('is picked up again')))!;
    expect(firstResumed.view!.firstUser).toContain('Requirement: Build it');
    expect(leftovers(await agentsOf(team, session))).toEqual([]);
  }, 300_000);

  it('a budget of a few cents: once it is spent the running worker turn is interrupted, the lead’s next spawn is refused with the budget error, and the lead reports', async () => {
    const session = 'TC-budget';
    const holdingMark = (dir: string) => path.join(dir, '.holding');
    const waitHolding = (dir: string) => `until [ -f ${holdingMark(dir)} ]; do sleep 0.1; done`;
    const script = (dir: string): Script => {
      // The lead starts both workers and ends its turn once DEV-1 is in its held shell command.
      const lead = (ctx: StepContext): Step => {
        const { did, calls } = history(ctx.request);
        if (!did('spawn_agent', 'DEV-1'))
          return {
            text: 'Starting the team.',
            calls: [
              ...['DEV-1', 'TEST-1'].map((w) => ({
                tool: 'spawn_agent',
                input: { agent_type: 'team_worker', task_name: w, session_id: session, message: `Do ${w}'s part.` },
              })),
              { tool: 'Bash', input: { command: waitHolding(dir), timeout: 600_000 } },
            ],
          };
        const pushed = ctx.request.userTexts.slice(1).some((t) => t.startsWith('[maestro]'));
        if (!pushed) return { text: 'Waiting for news.' };
        if (!did('spawn_agent', 'EXTRA-1'))
          return {
            calls: [
              {
                tool: 'spawn_agent',
                input: { agent_type: 'team_worker', task_name: 'EXTRA-1', session_id: session, message: 'More.' },
              },
            ],
          };
        // Told as a push, or mid-turn (then inside the conversation, not as a turn of its own).
        const told = /Budget spent: interrupted [^"]*DEV-1's turn 1/.test(JSON.stringify(ctx.request.body.messages));
        if (!told) return { text: 'Waiting for DEV-1.' };
        const open = ['DEV-1', 'TEST-1'].filter((w) => !did('close_agent', w));
        if (open.length) return { calls: open.map((w) => ({ tool: 'close_agent', input: { target: w } })) };
        return { text: `REPORT: stopped by the budget after ${calls.length} calls.` };
      };
      const dev = heldWorker('DEV-1', dir);
      const held = dev.steps[0]!.calls[0]!.input as { command: string };
      held.command = `touch ${holdingMark(dir)}; ${held.command}`;
      const test = quickWorker('TEST-1');
      return {
        conversations: [
          {
            name: 'lead',
            match: { system: /task name lead, agent type lead/ },
            steps: Array.from({ length: 100 }, () => lead),
            final: 'REPORT: done.',
          },
          dev,
          // TEST-1 finishes (and spends) only once DEV-1 is at work.
          { ...test, steps: [{ calls: [{ tool: 'Bash', input: { command: waitHolding(dir) } }] }, ...test.steps] },
        ],
      };
    };
    const team = await teamProject(script);
    writeFileSync(path.join(team.dir, '.gitignore'), '.maestro/\n.release\n.holding\n');
    const result = await runTeam(team, [
      '--dev',
      '1',
      '--test',
      '1',
      '--session',
      session,
      '--budget-usd',
      '0.02',
      'Go',
    ]).exited;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    // The refused spawn: the lead was told why, what was used and how to raise it; nothing was recorded.
    const refusal = team.model
      .modelRequests('lead')
      .map((r) => JSON.stringify(r.body.messages))
      .find((m) => m.includes('spawn_agent refused'));
    expect(refusal).toMatch(
      /spawn_agent refused: session TC-budget's budget is spent \(usd \$\d\.\d{4} of \$0\.0200 used\)\. Raise it with: maestro budget -s TC-budget --usd <more>/,
    );
    const agents = await agentsOf(team, session);
    expect(agents.map((a) => a.task_name)).toEqual(['lead', 'DEV-1', 'TEST-1']);
    // DEV-1 was in its held shell command when the budget ran out: that turn was interrupted.
    const store = openSqliteStore(path.join(team.dir, '.maestro', 'maestro.db'), { create: false });
    try {
      const dev = agents.find((a) => a.task_name === 'DEV-1')!;
      expect((await store.agents.turns(dev.id)).map((t) => t.status)).toEqual(['interrupted']);
      const notices = (await store.messages.list(session, { types: ['budget'] }, { limit: 10 })).messages;
      expect(notices.every((m) => m.from === 'maestro' && m.to === 'lead')).toBe(true);
      expect(notices.map((m) => m.summary)).toContainEqual(
        expect.stringMatching(/^Budget 100%: usd \$\d\.\d{4} of \$0\.0200 used; /),
      );
      // TEST-1 too, when the lead's own turn spent the budget before TEST-1 had finished.
      expect(notices.map((m) => m.summary)).toContainEqual(
        expect.stringMatching(/^Budget spent: interrupted (TEST-1's turn 1, )?DEV-1's turn 1(, TEST-1's turn 1)?\.$/),
      );
    } finally {
      await store.close();
    }
    expect(holding(team.dir)).toEqual([]);

    // The terminal shows the budget, its use as turns end, the notice, and the summary against it.
    const out = result.stdout;
    expect(out).toMatch(/budget +usd \$0\.0000 of \$0\.0200 \(0%\) +raise +maestro budget -s TC-budget --usd N/);
    expect(out).toMatch(/\$ budget +usd \$\d\.\d{4} of \$0\.0200 \(\d+%, spent\)/);
    expect(out).toMatch(/! maestro → lead \(budget\) Budget 100%: usd/);
    expect(out).toMatch(/REPORT: stopped by the budget/);
    expect(out).toMatch(/ {2}budget +usd \$\d\.\d{4} of \$0\.0200 \(\d+%, spent\)/);
    expect(leftovers(agents)).toEqual([]);
  }, 300_000);

  it('runs a Codex lead the same way: its workers’ completions are pushed into it as new turns', async () => {
    const session = 'TC-codex';
    const team = await teamProject(() => ({ conversations: [quickWorker('DEV-1'), quickWorker('TEST-1')] }), {
      conversations: [
        leadConversation(session, { tool: (n) => `mcp__maestro_tools__${n}`, workers: ['DEV-1', 'TEST-1'] }),
      ],
    });
    const result = await runTeam(team, [
      '--lead',
      'codex',
      '--dev',
      '1',
      '--test',
      '1',
      '--session',
      session,
      '--budget-usd',
      '50',
      'Check',
      'it',
    ]).exited;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/maestro team — session TC-codex, lead codex/);
    expect(result.stdout).toMatch(/REPORT: DEV-1 and TEST-1 finished\./);
    // The Codex lead's tokens are priced (codex reports no cost) and count against the budget.
    expect(result.stdout).toMatch(/ {2}budget +usd \$\d+\.\d{2,4} of \$50\.00 \(\d+%\)/);
    const agents = await agentsOf(team, session);
    expect(agents.find((a) => a.task_name === 'lead')!.cost_usd).toBeGreaterThan(0);
    expect(agents.map((a) => [a.task_name, a.backend, a.status])).toEqual([
      ['lead', 'codex', 'shutdown'],
      ['DEV-1', 'claude', 'shutdown'],
      ['TEST-1', 'claude', 'shutdown'],
    ]);
    const last = team.lead.modelRequests('lead').at(-1)!.view!;
    const { finished, calls } = history(last);
    expect(finished.map((f) => `${f.task_name}#${f.turn}`).sort()).toEqual(['DEV-1#1', 'TEST-1#1']);
    expect(calls.filter((c) => c.name.endsWith('wait_agent'))).toEqual([]);
    expect(leftovers(agents)).toEqual([]);
  }, 300_000);

  it('refuses a bad command line with exit 2, naming what is wrong, and starts nothing', async () => {
    const dir = gitProject();
    const cases: Array<[string[], RegExp]> = [
      [[], /maestro team: say what the team should do/],
      [['--lead', 'command', 'x'], /--lead must be one of claude, codex, got 'command' \(command cannot lead a team\)/],
      [['--dev', 'two', 'x'], /--dev expects a whole number from 0 to 20, got 'two'/],
      [['--role', 'docs', 'x'], /--role expects NAME=N \(like --role docs=1\), got 'docs'/],
      [
        ['--dev', '1', '--role', 'developer=2', 'x'],
        /the role developer is given twice \(--dev and --role developer\)/,
      ],
      [['--session', 'bad id', 'x'], /--session/],
      [['resume'], /maestro team resume: give the session to resume/],
      [['resume', 'S', '--dev', '1'], /--dev applies to a new team/],
    ];
    for (const [args, message] of cases) {
      const result = await maestro(['team', ...args], { cwd: dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync(path.join(dir, '.maestro'))).toBe(false);
  });
});
