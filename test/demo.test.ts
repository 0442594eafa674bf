/**
 * The main job, end to end: `maestro demo`'s flow with a real Claude Code coordinator and real
 * Claude Code workers, offline. The scripted model's records prove what each agent was told.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { findClaude, runDemo } from '../src/demo/run.js';

describe('maestro demo', () => {
  it('a coordinator runs three workers and a supervisor from /team-coordinate to the final report, leaving nothing behind', async () => {
    const lines: string[] = [];
    const summary = await runDemo({
      live: false,
      keep: true,
      out: (line) => lines.push(line),
      color: false,
      timeoutMs: 240_000,
    });
    try {
      expect(summary.coordinator.exitCode).toBe(0);
      const model = summary.model!;

      // The coordinator got the slash command with the requirement, the skill's instructions, and
      // (having read it) the coordinator role.
      const coordinator = model.modelRequests('coordinator');
      const asked = coordinator[0]!.view!.userTexts.join('\n');
      expect(asked).toContain('<command-name>/team-coordinate</command-name>');
      expect(asked).toContain('<command-args>Add a cartTotal(cart) function to src/cart.js with tests</command-args>');
      expect(asked).toContain('## Tool-call convention');
      expect(JSON.stringify(coordinator[1]!.body.messages)).toContain('# Role: coordinator');

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
        const types = (await bus.list(summary.session!, { from: task }, { limit: 100 })).messages.map((m) => m.type);
        expect(types, task).toContain('progress');
        expect(types, task).toContain('task_complete');
      }
      await store.close();
      expect(summary.agents.map((a) => [a.task_name, a.status])).toEqual([
        ['SUPERVISOR', 'shutdown'],
        ['PLAN-001', 'shutdown'],
        ['IMPL-001', 'shutdown'],
        ['TEST-001', 'shutdown'],
      ]);
      expect(summary.leftover).toEqual([]);
      const stray = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(summary.project));
      expect(stray).toEqual([]);

      // What the team built works.
      expect(execFileSync(process.execPath, ['--test'], { cwd: summary.project, encoding: 'utf8' })).toMatch(
        /# pass 3/,
      );

      // The terminal showed the team live, then the timeline and the summary.
      const text = lines.join('\n');
      expect(text).toMatch(/▶ PLAN-001 +started \(team_worker\)/);
      expect(text).toMatch(/! TEST-001 +\(blocker\)/);
      expect(text).toMatch(/The bus — maestro msg list -s TC-tiny-shop-\d{8}/);
      expect(text).toMatch(/agents +4: SUPERVISOR shutdown, PLAN-001 shutdown, IMPL-001 shutdown, TEST-001 shutdown/);
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
