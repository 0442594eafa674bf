/** The scripted model servers on their own, over plain HTTP: wire shapes, routing, steps, templates, recording. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseScript,
  startAnthropicServer,
  startOpenAIServer,
  type Script,
  type ScriptedServer,
} from '../../src/scripted/index.js';

const open: ScriptedServer[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function start(kind: 'anthropic' | 'openai', script: Script): Promise<ScriptedServer> {
  const server = await (kind === 'anthropic' ? startAnthropicServer(script) : startOpenAIServer(script));
  open.push(server);
  return server;
}

async function post(server: ScriptedServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A non-streamed reply's JSON body. */
async function postJson(server: ScriptedServer, path: string, body: unknown): Promise<any> {
  return (await post(server, path, body)).json();
}

/** SSE text → [{event, data}] */
function events(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim())
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)![1]!;
      const data = JSON.parse(/^data: (.*)$/m.exec(chunk)![1]!);
      return { event, data };
    });
}

const worker: Script = {
  conversations: [
    {
      name: 'worker',
      match: { system: /task (?<task>IMPL-\d+)/, user: /session (?<session>s\d+)/ },
      steps: [
        {
          text: 'Logging.',
          calls: [{ tool: 'team_msg', input: { operation: 'log', session_id: '{{session}}', from: '{{task}}' } }],
        },
        (ctx) => ({ text: `done with ${ctx.vars.task} at step ${ctx.step}` }),
      ],
      final: 'Nothing more.',
    },
  ],
  fallback: 'side answer',
};

const claudeTools = [{ name: 'Bash' }, { name: 'mcp__maestro-tools__team_msg' }];
const system = [{ type: 'text', text: 'You are task IMPL-007.' }];

describe('Anthropic Messages server', () => {
  it('streams a text block and a tool_use block with input_json_delta, resolving the tool name from the request', async () => {
    const server = await start('anthropic', worker);
    const res = await post(server, '/v1/messages?beta=true', {
      model: 'claude-x',
      stream: true,
      system,
      tools: claudeTools,
      messages: [{ role: 'user', content: 'Work in session s42' }],
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const sse = events(await res.text());
    expect(sse.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(sse[0]!.data.message).toMatchObject({ role: 'assistant', model: 'claude-x', content: [] });
    expect(sse[0]!.data.message.usage.input_tokens).toBeGreaterThan(0);
    expect(sse[2]!.data.delta).toEqual({ type: 'text_delta', text: 'Logging.' });
    expect(sse[4]!.data.content_block).toMatchObject({
      type: 'tool_use',
      name: 'mcp__maestro-tools__team_msg',
      input: {},
    });
    expect(JSON.parse(sse[5]!.data.delta.partial_json)).toEqual({
      operation: 'log',
      session_id: 's42',
      from: 'IMPL-007',
    });
    expect(sse[7]!.data).toMatchObject({
      delta: { stop_reason: 'tool_use' },
      usage: { output_tokens: expect.any(Number) },
    });
    expect(server.requests[0]).toMatchObject({
      path: '/v1/messages',
      query: 'beta=true',
      plan: { conversation: 'worker', step: 0 },
    });
  });

  it('derives the step from the assistant turns in the request, ignoring system messages', async () => {
    const server = await start('anthropic', worker);
    const messages = [
      { role: 'user', content: 'Work in session s42' },
      { role: 'system', content: 'environment' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'x', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
    ];
    const body = await postJson(server, '/v1/messages', {
      model: 'm',
      stream: false,
      system,
      tools: claudeTools,
      messages,
    });
    expect(body).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
    expect(body.content).toEqual([{ type: 'text', text: 'done with IMPL-007 at step 1' }]);
    expect(server.requests[0]!.view!.latest).toBe('ok');
    const more = [...messages, { role: 'assistant', content: 'done' }, { role: 'user', content: 'again' }];
    const last = await postJson(server, '/v1/messages', { model: 'm', system, tools: claudeTools, messages: more });
    expect(last.content).toEqual([{ type: 'text', text: 'Nothing more.' }]);
  });

  it('answers side requests (no tools, or no matching conversation) with the fallback text, and counts tokens', async () => {
    const server = await start('anthropic', worker);
    const title = await postJson(server, '/v1/messages', {
      model: 'm',
      system,
      messages: [{ role: 'user', content: 'session s1' }],
    });
    expect(title.content).toEqual([{ type: 'text', text: 'side answer' }]);
    const count = await postJson(server, '/v1/messages/count_tokens', {
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(count).toEqual({ input_tokens: expect.any(Number) });
    expect((await post(server, '/v1/other', {})).status).toBe(404);
    expect(server.requests.map((r) => [r.path, r.plan?.conversation])).toEqual([
      ['/v1/messages', null],
      ['/v1/messages/count_tokens', undefined],
      ['/v1/other', undefined],
    ]);
  });
});

describe('OpenAI Responses server', () => {
  const codexTools = [
    { type: 'function', name: 'exec_command', parameters: {} },
    { type: 'namespace', name: 'mcp__maestro_tools', tools: [{ type: 'function', name: 'team_msg', parameters: {} }] },
  ];
  const input = [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are task IMPL-007.' }] },
    {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: '<environment_context>…</environment_context>' }],
    },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Work in session s42' }] },
  ];

  it('streams created / output_item.done / completed, with a namespaced function call for an MCP tool', async () => {
    const server = await start('openai', worker);
    const res = await post(server, '/v1/responses', { model: 'gpt-x', stream: true, tools: codexTools, input });
    const sse = events(await res.text());
    expect(sse.map((e) => e.event)).toEqual([
      'response.created',
      'response.output_item.added',
      'response.output_item.done',
      'response.output_item.added',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sse[2]!.data.item).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Logging.', annotations: [] }],
    });
    const call = sse[4]!.data.item;
    expect(call).toMatchObject({ type: 'function_call', namespace: 'mcp__maestro_tools', name: 'team_msg' });
    expect(JSON.parse(call.arguments)).toEqual({ operation: 'log', session_id: 's42', from: 'IMPL-007' });
    expect(sse[5]!.data.response.usage).toMatchObject({
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
      total_tokens: expect.any(Number),
      input_tokens_details: { cached_tokens: 0 },
    });
    expect(server.requests[0]!.view).toMatchObject({ firstUser: 'Work in session s42', step: 0 });
  });

  it('counts a run of model items (message + function_call) as one step', async () => {
    const server = await start('openai', worker);
    const history = [
      ...input,
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Logging.' }] },
      { type: 'function_call', namespace: 'mcp__maestro_tools', name: 'team_msg', arguments: '{}', call_id: 'c1' },
      { type: 'function_call_output', call_id: 'c1', output: 'logged MSG-001' },
    ];
    const sse = events(await (await post(server, '/v1/responses', { tools: codexTools, input: history })).text());
    expect(sse.at(-1)!.data.response.output[0].content[0].text).toBe('done with IMPL-007 at step 1');
    expect(server.requests[0]!.view!.latest).toBe('logged MSG-001');
  });
});

describe('scripts', () => {
  it('load from JSON, with {{capture}} templates in texts, tool names and inputs', async () => {
    const script = parseScript(
      JSON.stringify({
        conversations: [
          {
            name: 'w',
            match: { system: 'task (?<task>IMPL-\\d+)' },
            steps: [
              {
                text: 'hi {{task}}',
                calls: [{ tool: 'team_msg', input: { from: '{{task}}', n: 1, keep: '{{nope}}' } }],
              },
            ],
          },
        ],
      }),
    );
    const server = await start('anthropic', script);
    const body = await postJson(server, '/v1/messages', {
      system,
      tools: claudeTools,
      messages: [{ role: 'user', content: 'go' }],
    });
    expect(body.content[0]).toEqual({ type: 'text', text: 'hi IMPL-007' });
    expect(body.content[1]).toMatchObject({
      name: 'mcp__maestro-tools__team_msg',
      input: { from: 'IMPL-007', n: 1, keep: '{{nope}}' },
    });
  });

  it('reject a bad shape or a bad regex', () => {
    expect(() => parseScript({ conversations: [{ name: 'w', steps: [] }] })).toThrow();
    expect(() => parseScript({ conversations: [{ name: 'w', match: { user: '(' }, steps: [] }] })).toThrow();
  });

  it('pick the conversation per request, so parallel agents each follow their own', async () => {
    const two: Script = {
      conversations: ['IMPL-001', 'IMPL-002'].map((task) => ({
        name: task,
        match: { user: new RegExp(task) },
        steps: [{ text: `I am ${task}` }],
      })),
    };
    const server = await start('anthropic', two);
    const ask = async (task: string) =>
      (await postJson(server, '/v1/messages', { tools: claudeTools, messages: [{ role: 'user', content: task }] }))
        .content[0].text;
    expect(await Promise.all([ask('IMPL-002'), ask('IMPL-001')])).toEqual(['I am IMPL-002', 'I am IMPL-001']);
    expect(server.modelRequests('IMPL-001')).toHaveLength(1);
  });

  it('hold a step back with delayMs, and waitForRequest sees the request before the reply', async () => {
    const server = await start('anthropic', {
      conversations: [{ name: 'w', match: () => true, steps: [{ text: 'late', delayMs: 300 }] }],
    });
    const reply = post(server, '/v1/messages', { tools: claudeTools, messages: [{ role: 'user', content: 'x' }] });
    const seen = await server.waitForRequest((r) => r.plan?.conversation === 'w');
    const arrived = Date.now();
    await (await reply).json();
    expect(Date.now() - arrived).toBeGreaterThanOrEqual(250);
    expect(seen.aborted).toBeUndefined();
  });
});

describe('tool names', () => {
  it('resolve a short or server-qualified name against the offered tools, Claude and Codex spellings alike', async () => {
    const { resolveToolName } = await import('../../src/scripted/index.js');
    const claude = ['Bash', 'mcp__user-extra__team_msg', 'mcp__maestro-tools__team_msg'];
    expect(resolveToolName('Bash', claude)).toBe('Bash');
    expect(resolveToolName('team_msg', claude)).toBe('mcp__user-extra__team_msg'); // ambiguous: the first offered
    expect(resolveToolName('maestro-tools__team_msg', claude)).toBe('mcp__maestro-tools__team_msg');
    const codex = ['exec_command', 'mcp__maestro_tools__team_msg'];
    expect(resolveToolName('maestro-tools__team_msg', codex)).toBe('mcp__maestro_tools__team_msg');
    expect(resolveToolName('mcp__maestro-tools__team_msg', codex)).toBe('mcp__maestro_tools__team_msg');
    expect(resolveToolName('nope', codex)).toBeNull();
  });
});
