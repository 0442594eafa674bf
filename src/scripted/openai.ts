/**
 * A scripted OpenAI Responses API for running Codex offline: `POST /v1/responses` streamed as SSE
 * (`response.created`, one `response.output_item.done` per output item, `response.completed` with
 * usage). MCP tools arrive as `namespace` tools (e.g. `mcp__maestro_tools` holding `team_msg`);
 * a call to one carries both `namespace` and `name`. Other paths answer 404 (and are recorded).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  sendJson,
  sleep,
  sse,
  startScriptedServer,
  startSse,
  tokens,
  type RecordedRequest,
  type ScriptedServer,
} from './http.js';
import { planReply, resolveToolName, type RequestView, type Script } from './script.js';

type Item = { type: string; role?: string; content?: unknown; [key: string]: unknown };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part) => typeof part?.text === 'string')
    .map((part) => part.text as string)
    .join('\n');
}

/** Items that come from the model; a run of them is one assistant turn. */
function fromModel(item: Item): boolean {
  if (item.type === 'message') return item.role === 'assistant';
  return item.type === 'reasoning' || item.type.endsWith('_call'); // function_call, custom_tool_call, …
}

/** Codex puts context (environment, AGENTS.md, permissions) in user messages before the task. */
const CONTEXT_PREAMBLE =
  /^\s*(<environment_context>|<user_instructions>|# AGENTS\.md|<permissions|<skills_instructions>|<INSTRUCTIONS>)/;

/** Offered tools as flat names (`namespace__name` for namespaced ones) and how to call each. */
function offeredTools(tools: unknown): Map<string, { namespace?: string; name: string }> {
  const offered = new Map<string, { namespace?: string; name: string }>();
  for (const tool of Array.isArray(tools) ? tools : []) {
    if (tool?.type === 'namespace' && Array.isArray(tool.tools)) {
      for (const fn of tool.tools) offered.set(`${tool.name}__${fn.name}`, { namespace: tool.name, name: fn.name });
    } else if (typeof tool?.name === 'string') offered.set(tool.name, { name: tool.name });
    else if (typeof tool?.type === 'string') offered.set(tool.type, { name: tool.type });
  }
  return offered;
}

export function viewOpenAI(body: any): RequestView {
  const items: Item[] = Array.isArray(body?.input)
    ? body.input
    : typeof body?.input === 'string'
      ? [{ type: 'message', role: 'user', content: body.input }]
      : [];
  const messages = items.filter((i) => i.type === 'message' || (i.type === undefined && i.role));
  const system = [
    body?.instructions ?? '',
    ...messages.filter((m) => m.role === 'developer' || m.role === 'system').map((m) => textOf(m.content)),
  ].join('\n');
  const userTexts = messages.filter((m) => m.role === 'user').map((m) => textOf(m.content));
  const flags = items.map((item) => fromModel({ ...item, type: item.type ?? 'message' }));
  const after = items.slice(flags.lastIndexOf(true) + 1);
  return {
    api: 'openai',
    system,
    firstUser: userTexts.find((t) => !CONTEXT_PREAMBLE.test(t)) ?? userTexts[0] ?? '',
    userTexts,
    latest: after
      .map((item) => textOf(item.content ?? item.output))
      .filter(Boolean)
      .join('\n'),
    step: flags.filter((flag, i) => flag && !flags[i - 1]).length,
    tools: [...offeredTools(body?.tools).keys()],
    body,
  };
}

function id(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

function output(request: RecordedRequest): Item[] {
  const plan = request.plan!;
  const offered = offeredTools(request.body?.tools);
  const items: Item[] = [];
  if (plan.text || plan.calls.length === 0)
    items.push({
      type: 'message',
      id: id('msg'),
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: plan.text || 'Done.', annotations: [] }],
    });
  for (const call of plan.calls) {
    const resolved = resolveToolName(call.tool, [...offered.keys()]);
    const target = (resolved && offered.get(resolved)) || { name: call.tool };
    items.push({
      type: 'function_call',
      id: id('fc'),
      call_id: id('call'),
      ...(target.namespace ? { namespace: target.namespace } : {}),
      name: target.name,
      arguments: JSON.stringify(call.input),
      status: 'completed',
    });
  }
  return items;
}

function respond(res: ServerResponse, request: RecordedRequest, items: Item[]): void {
  const input = tokens(request.body?.input);
  const out = tokens(items);
  const response = {
    id: id('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    model: request.body?.model ?? 'scripted',
    status: 'in_progress',
    output: [] as Item[],
  };
  startSse(res);
  sse(res, 'response.created', { type: 'response.created', response });
  items.forEach((item, output_index) => {
    sse(res, 'response.output_item.added', { type: 'response.output_item.added', output_index, item });
    sse(res, 'response.output_item.done', { type: 'response.output_item.done', output_index, item });
  });
  sse(res, 'response.completed', {
    type: 'response.completed',
    response: {
      ...response,
      status: 'completed',
      output: items,
      usage: {
        input_tokens: input,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: out,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input + out,
      },
    },
  });
  res.end();
}

export function startOpenAIServer(script: Script): Promise<ScriptedServer> {
  return startScriptedServer(script, {
    prepare(request, current) {
      if (request.method !== 'POST' || request.path !== '/v1/responses') return;
      request.view = viewOpenAI(request.body);
      request.plan = planReply(current, request.view);
    },
    async respond(request, res, signal) {
      if (!request.plan)
        return sendJson(res, 404, { error: { message: `no route ${request.method} ${request.path}` } });
      await sleep(request.plan.delayMs, signal);
      if (signal.aborted) return;
      respond(res, request, output(request));
    },
  });
}
