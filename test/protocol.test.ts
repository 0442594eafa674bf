/**
 * The built server driven by the SDK's client over stdio: what it advertises, every team_msg
 * operation, the seed skills' calls exactly as written, and bad input of every kind.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { teamMsgInput } from '../src/ops/team-msg.js';
import { teamMsgOutput } from '../tools/team-msg.js';
import { serverEnv, startServer, text } from './helpers/mcp.js';
import { CLI } from './helpers/paths.js';
import { tempDir } from './helpers/temp.js';

const SESSION = 'TC-demo-2026-11-20';

describe('tools/list', () => {
  it('advertises team_msg with the input schema derived from the shared zod schema, an output schema and annotations', async () => {
    const { client } = await startServer();
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'team_msg')!;
    expect(tool).toBeDefined();
    const { $schema: _a, ...expectedInput } = z.toJSONSchema(teamMsgInput, { io: 'input' }) as Record<string, unknown>;
    const { $schema: _b, ...advertisedInput } = tool.inputSchema as Record<string, unknown>;
    expect(advertisedInput).toEqual(expectedInput);
    expect(tool.inputSchema.required).toEqual(['operation', 'session_id']);
    expect(tool.outputSchema?.type).toBe('object');
    expect(tool.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, openWorldHint: false });
    expect(tool.description).toMatch(/Role state \(get_state\) is kept/);
    expect(client.getServerVersion()?.name).toBe('maestro-tools');
  });
});

describe('team_msg over stdio', () => {
  it('accepts the seed skills’ log and list calls exactly as written and returns the messages array', async () => {
    const server = await startServer();
    const logged = await server.call('team_msg', {
      operation: 'log',
      session_id: SESSION,
      from: 'IMPL-001',
      to: 'coordinator',
      type: 'progress',
      summary: '[IMPL-001] context loaded (30%)',
      data: {
        task_id: 'IMPL-001',
        role: 'implementer',
        status: 'in_progress',
        progress_pct: 30,
        phase: 'context loaded',
        key_info: 'uses express',
      },
    });
    expect(logged.isError).toBeFalsy();
    expect(logged.structuredContent).toMatchObject({ operation: 'log', id: 'MSG-001' });
    await server.call('team_msg', {
      operation: 'log',
      session_id: SESSION,
      from: 'IMPL-001',
      type: 'blocker',
      summary: 'stuck',
    });

    const listed = await server.call('team_msg', {
      operation: 'list',
      session_id: SESSION,
      type: 'progress',
      last: 50,
    });
    const result = teamMsgOutput.parse(listed.structuredContent);
    expect(result).toMatchObject({ total: 1, showing: 1 });
    const [message] = result.messages!;
    expect(message).toMatchObject({
      id: 'MSG-001',
      from: 'IMPL-001',
      to: 'coordinator',
      type: 'progress',
      summary: '[IMPL-001] context loaded (30%)',
    });
    expect(message!.data).toMatchObject({ task_id: 'IMPL-001', progress_pct: 30, phase: 'context loaded' });
    expect(message!.ts).toMatch(/Z$/);
    expect(result.formatted).toEqual([
      expect.stringMatching(
        /^MSG-001 \[\d\d:\d\d:\d\d\] IMPL-001 → coordinator \(progress\) \[IMPL-001\] context loaded \(30%\)$/,
      ),
    ]);
    // text-only clients see the data too
    expect(text(listed)).toContain('"progress_pct":30');
  });

  it('runs every operation', async () => {
    const server = await startServer();
    const call = async (args: Record<string, unknown>) => {
      const result = await server.call('team_msg', { session_id: SESSION, ...args });
      expect(result.isError, text(result)).toBeFalsy();
      return teamMsgOutput.parse(result.structuredContent);
    };
    expect((await call({ operation: 'log' })).message).toMatchObject({
      from: 'coordinator',
      to: 'coordinator',
      type: 'message',
      summary: '[coordinator] message → coordinator',
      data: {},
    });
    expect((await call({ operation: 'broadcast', from: 'coordinator', summary: 'hello all' })).message).toMatchObject({
      to: 'all',
    });
    await call({ operation: 'log', from: 'PLAN-001', type: 'state_update', data: { phase: 'done' } });
    await call({ operation: 'log', from: 'coordinator', to: 'PLAN-001', summary: 'next step please' });

    expect((await call({ operation: 'read', id: 'MSG-002' })).message?.summary).toBe('hello all');
    expect((await call({ operation: 'status' })).members?.map((m) => m.role)).toEqual(['PLAN-001', 'coordinator']);
    expect((await call({ operation: 'get_state' })).state).toEqual({ 'PLAN-001': { phase: 'done' } });
    expect((await call({ operation: 'get_state', role: 'PLAN-001' })).roles?.[0]?.updated_by).toBe('MSG-003');
    expect((await call({ operation: 'search', query: 'next step' })).messages?.map((m) => m.id)).toEqual(['MSG-004']);

    const mailbox = await call({ operation: 'read_mailbox', role: 'PLAN-001' });
    expect(mailbox.messages?.map((m) => m.summary)).toEqual(['hello all', 'next step please']);
    expect(mailbox.unread_remaining).toBe(0);
    expect((await call({ operation: 'read_mailbox', role: 'PLAN-001' })).messages).toEqual([]);
    expect((await call({ operation: 'mailbox_status', role: 'PLAN-001' })).mailboxes).toEqual([
      { role: 'PLAN-001', total: 2, delivered: 2, unread: 0 },
    ]);
    expect((await call({ operation: 'read', id: 'MSG-004' })).delivered_to).toEqual(['PLAN-001']);

    const page1 = await call({ operation: 'list', since: 'MSG-001', last: 2 });
    expect(page1.messages?.map((m) => m.id)).toEqual(['MSG-002', 'MSG-003']);
    expect(page1).toMatchObject({ next_since: 'MSG-003', has_more: true });
    const page2 = await call({ operation: 'list', since: page1.next_since, last: 2 });
    expect(page2.messages?.map((m) => m.id)).toEqual(['MSG-004']);
    expect(page2.has_more).toBe(false);

    expect((await call({ operation: 'delete', id: 'MSG-001' })).deleted).toBe('MSG-001');
    expect((await call({ operation: 'clear' })).cleared).toBe(3);
    expect((await call({ operation: 'list' })).total).toBe(0);
    expect((await call({ operation: 'get_state' })).state).toEqual({ 'PLAN-001': { phase: 'done' } });
    expect((await call({ operation: 'log' })).id).toBe('MSG-005');
  });

  it.each([
    [{ operation: 'list' }, /required at session_id/],
    [{ operation: 'fetch', session_id: SESSION }, /expected one of: log, broadcast, .* at operation/],
    [{ operation: 'list', session_id: '../etc/passwd' }, /letters, digits.* at session_id/],
    [{ operation: 'list', session_id: 'x'.repeat(129) }, /1-128 characters/],
    [{ operation: 'list', session_id: SESSION, last: 0 }, /whole number from 1 to 100 at last/],
    [{ operation: 'list', session_id: SESSION, last: 'ten' }, /whole number from 1 to 100 at last/],
    [{ operation: 'list', session_id: SESSION, since: 'yesterday' }, /message id like MSG-007 at since/],
    [
      { operation: 'list', session_id: SESSION, limit: 5 },
      /unknown field 'limit'; team_msg takes: operation, session_id/,
    ],
    [
      { operation: 'list', session_id: SESSION, summary: 'x' },
      /does not apply to operation 'list' \(it takes: from, to, type, last, since\) at summary/,
    ],
    [{ operation: 'read', session_id: SESSION }, /required for operation 'read' at id/],
    [{ operation: 'read', session_id: SESSION, id: 'MSG-404' }, /message MSG-404 not found in session/],
    [{ operation: 'delete', session_id: SESSION, id: 'MSG-404' }, /not found/],
    [{ operation: 'search', session_id: SESSION }, /required for operation 'search' at query/],
    [{ operation: 'log', session_id: SESSION, data: [1, 2] }, /expected a JSON object at data/],
    [{ operation: 'log', session_id: SESSION, data: 'text' }, /expected a JSON object at data/],
    [{ operation: 'log', session_id: SESSION, from: 'all' }, /reserved/],
    [{ operation: 'log', session_id: SESSION, from: 'two words' }, /letters, digits.* at from/],
    [{ operation: 'log', session_id: SESSION, type: '' }, /at type/],
    [{ operation: 'log', session_id: SESSION, summary: 'x'.repeat(4001) }, /at most 4000 characters at summary/],
    [{ operation: 'log', session_id: SESSION, data: { blob: 'x'.repeat(70_000) } }, /the limit is 65536 bytes/],
    [{ operation: 'broadcast', session_id: SESSION, to: 'IMPL-001' }, /broadcast always goes to "all"/],
  ])('rejects bad input with an isError result naming the field and the rule: %#', async (args, expected) => {
    const server = await startServer();
    const result = await server.call('team_msg', args);
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(expected);
    // nothing was written, and the server is still answering
    const after = await server.call('team_msg', { operation: 'list', session_id: SESSION });
    expect(after.isError).toBeFalsy();
    expect(after.structuredContent).toMatchObject({ total: 0 });
  });

  it('logs to the configured file, never to stdout', async () => {
    const server = await startServer();
    await server.call('team_msg', { operation: 'list', session_id: SESSION });
    await server.call('team_msg', { operation: 'read', session_id: SESSION, id: 'MSG-001' });
    const log = readFileSync(server.logFile, 'utf8');
    expect(log).toMatch(/server ready/);
    expect(log).toMatch(/not found/);
  });
});

describe('the raw stdio stream', () => {
  it('survives garbage and malformed requests, answers only in JSON-RPC, and exits when stdin closes', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [CLI, 'mcp'], { env: serverEnv(dir), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const send = (line: string) => child.stdin.write(`${line}\n`);
    send('this is not json');
    send('{"jsonrpc":"2.0","id":1,"method":"no/such/method"}');
    send(
      '{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}',
    );
    send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    send('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"team_msg","arguments":null}}');
    send('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}');
    send(
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"team_msg","arguments":{"operation":"log","session_id":"raw","data":{"deep":' +
        '['.repeat(50) +
        ']'.repeat(50) +
        '}}}}',
    );
    send(
      '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"team_msg","arguments":{"operation":"list","session_id":"raw"}}}',
    );
    await waitFor(() => stdout.includes('"id":6'));
    const replies = stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            id?: number;
            result?: { isError?: boolean; structuredContent?: { total?: number } };
            error?: unknown;
          },
      );
    expect(replies.every((r) => typeof r === 'object')).toBe(true);
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(byId.get(1)?.error).toBeDefined();
    expect(byId.get(2)?.result).toBeDefined();
    expect(byId.get(3)?.result?.isError ?? byId.get(3)?.error).toBeTruthy();
    expect(byId.get(4)?.result?.isError ?? byId.get(4)?.error).toBeTruthy();
    expect(byId.get(5)?.result?.isError).toBeFalsy();
    expect(byId.get(6)?.result?.structuredContent?.total).toBe(1);

    child.stdin.end();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
