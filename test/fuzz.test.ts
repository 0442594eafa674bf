/**
 * Bad input of every kind: 10,000 random and malformed calls across all tools, through the real
 * stdio server. Every call gets a well-formed result — structured content, or an isError result
 * with a message — the server never crashes or hangs, and the database stays consistent.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startProject } from './helpers/project.js';

const TOOLS = [
  'spawn_agent',
  'wait_agent',
  'send_message',
  'followup_task',
  'interrupt_agent',
  'close_agent',
  'list_agents',
  'report_agent_job_result',
  'team_msg',
  'no_such_tool',
];

const FIELDS = [
  'operation',
  'session_id',
  'from',
  'to',
  'type',
  'summary',
  'data',
  'id',
  'last',
  'since',
  'query',
  'role',
  'message',
  'items',
  'task_name',
  'agent_type',
  'model',
  'backend',
  'command',
  'cwd',
  'isolation',
  'fork_turns',
  'timeout_ms',
  'targets',
  'ids',
  'target',
  'status',
  'path_prefix',
  'result',
];

const plausible = fc.oneof(
  fc.constantFrom(
    'log',
    'list',
    'read',
    'search',
    'status',
    'clear',
    'get_state',
    'read_mailbox',
    'mailbox_status',
    'broadcast',
    'delete',
  ),
  fc.constantFrom(
    'fuzz',
    'S-001',
    'IMPL-001',
    'coordinator',
    'all',
    'MSG-001',
    'progress',
    'command',
    'claude',
    'codex',
    'worktree',
    'none',
  ),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: -5, max: 200 }),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  plausible,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(plausible, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), plausible, { maxKeys: 4 }),
);
const args = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }),
  fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 5 }),
);

/** Nothing random may run a real program or wait long: spawns run `true`, waits are short. */
function tame(tool: string, input: Record<string, unknown>): Record<string, unknown> {
  const out = { ...input };
  if (tool === 'spawn_agent' && 'command' in out) out.command = ['true'];
  if (typeof out.timeout_ms === 'number') out.timeout_ms = Math.min(Math.max(out.timeout_ms, -1), 20);
  if (tool === 'wait_agent' && out.timeout_ms === undefined) out.timeout_ms = 10;
  return out;
}

describe('fuzzing every tool', () => {
  it('answers 10,000 random and malformed calls with well-formed results and stays consistent', async () => {
    const p = await startProject({
      config: {
        backends: { claude: { command: ['/nonexistent/claude'] }, codex: { command: ['/nonexistent/codex'] } },
      },
    });
    let calls = 0;
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TOOLS), args, async (tool, input) => {
        calls += 1;
        const result = await p.client.callTool({ name: tool, arguments: tame(tool, input) }).catch((error: Error) => ({
          protocolError: error.message,
        }));
        if ('protocolError' in result) {
          // only a tool that does not exist is refused at the protocol level
          expect(tool).toBe('no_such_tool');
          return;
        }
        const content = result.content as { type: string; text: string }[];
        expect(content[0]?.type).toBe('text');
        expect(content[0]!.text.length).toBeGreaterThan(0);
        if (result.isError) errors += 1;
        else expect(result.structuredContent).toBeTypeOf('object');
      }),
      { numRuns: 10_000, seed: 20261120 },
    );
    expect(calls).toBe(10_000);
    expect(errors).toBeGreaterThan(calls / 2); // most random input is refused…
    expect(errors).toBeLessThan(calls); // …and some of it is valid

    // still answering, and the database is consistent
    expect((await p.ok('list_agents', { session_id: 'fuzz' })).session_id).toBe('fuzz');
    const db = new Database(p.dbFile, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  }, 180_000);
});
