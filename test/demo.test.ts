/**
 * The main job, end to end: `maestro demo`'s flow with a real Claude Code coordinator and real
 * Claude Code workers, offline. The scripted model's records prove what each agent was told.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { findClaude, runDemo } from '../src/demo/run.js';
import { parsePushedNews } from '../src/ops/team/inbox.js';

describe('maestro demo', () => {
  it('maestro team runs a Claude Code lead that runs three workers and a supervisor to its report, its news pushed to it, leaving nothing behind', async () => {
    const lines: string[] = [];
    const summary = await runDemo({
      live: false,
      keep: true,
      out: (line) => lines.push(line),
      color: false,
      timeoutMs: 240_000,
    });
    const { team } = summary;
    try {
      expect(team.end.outcome).toBe('completed');
      const model = summary.model!;

      // The lead was told who it is, where its skill is and what the roster and requirement are;
      // it read the coordinator's role from its own copy of the skill.
      const lead = model.modelRequests('lead');
      expect(lead[0]!.view!.system).toContain('You are the lead of a team of worker agents');
      const asked = lead[0]!.view!.firstUser;
      expect(asked).toMatch(
        /The team-coordinate skill is installed for you at \S+\/\.maestro\/agents\/\S+\/skills\/team-coordinate/,
      );
      expect(asked).toContain(
        'Roster: the team has exactly these workers, by role: planner ×1, developer ×1, tester ×1.',
      );
      expect(asked).toContain('Requirement: Add a cartTotal(cart) function to src/cart.js with tests');
      expect(JSON.stringify(lead[1]!.body.messages)).toContain('# Role: coordinator');

      // The lead never waited: every worker's completion reached it as a pushed turn, each once.
      const calls = lead.flatMap((r) =>
        r.body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])),
      );
      expect(calls.filter((b: any) => b.type === 'tool_use' && String(b.name).endsWith('wait_agent'))).toEqual([]);
      const finished = lead.at(-1)!.view!.userTexts.flatMap((t) => parsePushedNews(t)?.finished ?? []);
      const told = finished.map((f) => `${f.task_name}#${f.turn}`);
      expect(new Set(told).size).toBe(told.length);
      // The supervisor's stand-by turn is news only until its checkpoint turn starts: on a slow
      // machine the lead's follow-up can be queued behind it, and then it is never told.
      expect(told.filter((t) => t !== 'SUPERVISOR#1').sort()).toEqual([
        'IMPL-001#1',
        'PLAN-001#1',
        'SUPERVISOR#2',
        'TEST-001#1',
      ]);

      // Each worker was told who it is and got its assignment.
      for (const task of ['PLAN-001', 'IMPL-001', 'TEST-001', 'SUPERVISOR']) {
        const first = model.modelRequests(task)[0]!;
        expect(first.view!.system).toContain(`task name ${task}`);
        expect(first.view!.firstUser).toContain(`task_id: ${task}`);
      }

      // Progress and completions are on the bus; every agent is closed; nothing is left running.
      const store = openSqliteStore(`${summary.project}/.maestro/maestro.db`);
      const bus = store.messages;
      for (const task of ['PLAN-001', 'IMPL-001', 'TEST-001', 'SUPERVISOR']) {
        const types = (await bus.list(team.session, { from: task }, { limit: 100 })).messages.map((m) => m.type);
        expect(types, task).toContain('progress');
        expect(types, task).toContain('task_complete');
      }
      await store.close();
      expect(team.agents.map((a) => [a.task_name, a.depth, a.status])).toEqual([
        ['lead', 0, 'shutdown'],
        ['SUPERVISOR', 1, 'shutdown'],
        ['PLAN-001', 1, 'shutdown'],
        ['IMPL-001', 1, 'shutdown'],
        ['TEST-001', 1, 'shutdown'],
      ]);
      expect(team.leftover).toEqual([]);
      const stray = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(summary.project));
      expect(stray).toEqual([]);

      // What the team built works.
      expect(execFileSync(process.execPath, ['--test'], { cwd: summary.project, encoding: 'utf8' })).toMatch(
        /# pass 3/,
      );

      // The terminal showed the team live, the pushes into the lead, then the report, the timeline and the summary.
      const text = lines.join('\n');
      expect(text).toMatch(/▶ PLAN-001 +started \(team_worker\)/);
      expect(text).toMatch(/! TEST-001 +\(blocker\)/);
      expect(text).toMatch(/↳ news pushed to the lead: turn 2/);
      expect(text).toMatch(/The lead’s report\n  ## Team report — TC-tiny-shop-\d{8}/);
      expect(text).toMatch(/The bus — maestro msg list -s TC-tiny-shop-\d{8}/);
      expect(text).toMatch(/team +completed/);
      expect(text).toMatch(
        /agents +5: lead shutdown, SUPERVISOR shutdown, PLAN-001 shutdown, IMPL-001 shutdown, TEST-001 shutdown/,
      );
      expect(text).toContain('processes left behind: 0');
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(summary.project, { recursive: true, force: true });
    }
  }, 300_000);

  it('says how to get Claude Code when it is not installed', () => {
    expect(() => findClaude({ PATH: '/nonexistent' }, [])).toThrow(
      'no `claude` was found on PATH. Install it with: npm install -g @anthropic-ai/claude-code',
    );
  });
});
