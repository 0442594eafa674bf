/**
 * Budgets through the real MCP server with scripted `command` workers: a spent limit refuses
 * spawn_agent (and followup_task) before anything changes, with an error that says how to raise
 * it; the coordinator is told on the bus; time running out interrupts the running turn; raising
 * the budget from a shell lets the team go on. Codex's tokens are priced by the table.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/agents/config.js';
import { DEFAULT_PRICING, priceOf, priced } from '../src/agents/pricing.js';
import { maestro } from './helpers/cli.js';
import { agentRows, startProject, until, worker } from './helpers/project.js';
import { tempDir } from './helpers/temp.js';

type BusMessage = { from: string; to: string; type: string; summary: string };

async function notices(p: Awaited<ReturnType<typeof startProject>>, session: string): Promise<BusMessage[]> {
  return (await p.ok('team_msg', { operation: 'list', session_id: session, type: 'budget' })).messages as BusMessage[];
}

describe('budgets', () => {
  it('a spent max_agents refuses the next spawn with the budget, its use and how to raise it, changing nothing; raised from a shell, the spawn goes ahead', async () => {
    const session = 'TB-agents';
    const p = await startProject({ config: { limits: { budget: { max_agents: 1 } } } });
    await p.ok('spawn_agent', worker('IMPL-001', { report: { status: 'completed' } }, { session_id: session }));
    await p.ok('wait_agent', { session_id: session, timeout_ms: 60_000 });

    const refused = await p.fails(
      'spawn_agent',
      worker('IMPL-002', { report: { status: 'completed' } }, { session_id: session }),
    );
    expect(refused).toBe(
      `spawn_agent refused: session ${session}'s budget is spent (max_agents 1 agent of 1 agent used). Raise it with: maestro budget -s ${session} --max-agents <more> (or limits.budget in .maestro/config.json for every session)`,
    );
    const listed = await p.ok('list_agents', { session_id: session });
    expect((listed.agents as { task_name: string }[]).map((a) => a.task_name)).toEqual(['IMPL-001']);
    expect(listed.budget).toMatchObject({ limits: { max_agents: 1 }, used: { agents: 1 }, spent: ['max_agents'] });
    // The coordinator was told, once, from maestro.
    await until(async () => (await notices(p, session)).length > 0);
    expect(await notices(p, session)).toEqual([
      expect.objectContaining({
        from: 'maestro',
        to: 'coordinator',
        summary: 'Budget 100%: max_agents 1 agent of 1 agent used; spawn_agent is refused from now on.',
      }),
    ]);
    // A spent max_agents stops new agents only: an open one can still be given work.
    await p.ok('followup_task', { session_id: session, target: 'IMPL-001', message: 'again' });

    const raised = await maestro(['budget', '-s', session, '--max-agents', '2'], { cwd: p.dir });
    expect(raised.stderr).toBe('');
    expect(raised.stdout).toBe(`budget ${session}: max_agents 1 agent of 2 agents (50%)`);
    await p.ok('spawn_agent', worker('IMPL-002', { report: { status: 'completed' } }, { session_id: session }));
    expect((await agentRows(p, session)).map((a) => a.task_name)).toEqual(['IMPL-001', 'IMPL-002']);

    const bad = await maestro(['budget', '-s', session, '--usd', 'lots'], { cwd: p.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/maestro budget: --usd expects a number above 0, got 'lots'/);
    const unknown = await maestro(['budget', '-s', 'TB-nope', '--usd', '1'], { cwd: p.dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no session TB-nope in this project; sessions: .*TB-agents/);
  }, 120_000);

  it('when the time is up the running turn is interrupted, the coordinator’s wait hears why, and followup_task is refused', async () => {
    const session = 'TB-minutes';
    // 3 seconds: the session starts with its first agent.
    const p = await startProject({ config: { limits: { budget: { max_minutes: 0.05 } } } });
    await p.ok('spawn_agent', worker('LONG', { sleep_ms: 600_000 }, { session_id: session }));

    const heard: BusMessage[] = [];
    await until(async () => {
      const news = await p.ok('wait_agent', { session_id: session, timeout_ms: 10_000 });
      heard.push(
        ...((news.messages as { from: string; text: string }[]) ?? []).map((m) => ({
          from: m.from,
          to: '',
          type: '',
          summary: m.text,
        })),
      );
      return (await agentRows(p, session))[0]!.status === 'interrupted';
    }, 120_000);
    expect(heard.some((m) => m.from === 'maestro' && /^Budget (80|100)%: max_minutes/.test(m.summary))).toBe(true);

    await until(async () => (await notices(p, session)).at(-1)?.summary === "Budget spent: interrupted LONG's turn 1.");
    const given = (await notices(p, session)).slice(0, -1);
    expect(given.at(-1)!.summary).toMatch(
      /^Budget 100%: max_minutes [\d.]+ min of 0\.05 min used; spawn_agent and followup_task are refused and the running worker turns are interrupted; close the agents and report\.$/,
    );
    // Each notice once: at most the 80% and the 100% one.
    expect(new Set(given.map((m) => m.summary.slice(0, 11))).size).toBe(given.length);

    const refused = await p.fails('followup_task', { session_id: session, target: 'LONG', message: 'more' });
    expect(refused).toMatch(
      new RegExp(
        `^followup_task refused: session ${session}'s budget is spent \\(max_minutes [\\d.]+ min of 0\\.05 min used\\)\\. Raise it with: maestro budget -s ${session} --max-minutes <more>`,
      ),
    );
    const agent = (await agentRows(p, session))[0]!;
    expect(agent).toMatchObject({ status: 'interrupted', turns: 1 });
  }, 180_000);

  it("prices a model's tokens by its own entry, the longest entry its name starts with, or the default; the configuration adds and replaces", () => {
    expect(priceOf(DEFAULT_PRICING, 'gpt-5-mini')).toEqual({ input: 0.25, cached_input: 0.025, output: 2 });
    expect(priceOf(DEFAULT_PRICING, 'gpt-5.1-codex-max')).toEqual(DEFAULT_PRICING['gpt-5.1-codex']);
    expect(priceOf(DEFAULT_PRICING, null)).toEqual(DEFAULT_PRICING.default);
    expect(priceOf(DEFAULT_PRICING, 'something-else')).toEqual(DEFAULT_PRICING.default);
    // 1M input of which 400k cached, 100k output at gpt-5's prices.
    const usage = { input_tokens: 1_000_000, cached_input_tokens: 400_000, output_tokens: 100_000, cost_usd: 0 };
    expect(priced(usage, DEFAULT_PRICING['gpt-5']!).cost_usd).toBeCloseTo(0.6 * 1.25 + 0.4 * 0.125 + 0.1 * 10, 10);

    const dataDir = `${tempDir()}/.maestro`;
    const custom = loadConfig({
      dataDir,
      env: { MAESTRO_CONFIG: writeConfig({ pricing: { 'my-model': { input: 1, cached_input: 0.5, output: 3 } } }) },
    });
    expect(custom.price('my-model-2')).toEqual({ input: 1, cached_input: 0.5, output: 3 });
    expect(custom.price('gpt-5')).toEqual(DEFAULT_PRICING['gpt-5']);
    expect(() =>
      loadConfig({
        dataDir,
        env: { MAESTRO_CONFIG: writeConfig({ pricing: { x: { input: -1, cached_input: 0, output: 0 } } }) },
      }),
    ).toThrow(/pricing\.x\.input: Too small/);
    expect(() =>
      loadConfig({ dataDir, env: { MAESTRO_CONFIG: writeConfig({ limits: { budget: { usd: 0 } } }) } }),
    ).toThrow(/limits\.budget\.usd: Too small/);
  });
});

function writeConfig(config: object): string {
  const file = `${tempDir()}/config.json`;
  writeFileSync(file, JSON.stringify(config));
  return file;
}
