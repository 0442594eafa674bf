/**
 * A scripted Anthropic Messages API for running Claude Code offline: `POST /v1/messages`
 * (streamed as SSE, or one JSON message when `stream` is false) and
 * `POST /v1/messages/count_tokens`. Each reply comes from the script (see script.ts); requests no
 * conversation claims (Claude Code's side requests) get plain text.
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
import { planReply, resolveToolName, type Json, type RequestView, type Script } from './script.js';

type Block = { type: string; text?: string; [key: string]: unknown };
type Message = { role: string; content: string | Block[] };

function blocks(content: string | Block[] | undefined): Block[] {
  if (content === undefined) return [];
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function textOf(content: string | Block[] | undefined): string {
  return blocks(content)
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('\n');
}

/** A block's text, a tool result's included (for `latest`). */
function blockText(block: Block): string {
  if (block.type !== 'tool_result') return block.text ?? '';
  return textOf(block.content as string | Block[] | undefined);
}

/** Counts runs of consecutive assistant messages (the API merges such runs into one turn). */
export function assistantTurns(roles: string[]): number {
  return roles.filter((role, i) => role === 'assistant' && roles[i - 1] !== 'assistant').length;
}

export function viewAnthropic(body: any): RequestView {
  const messages: Message[] = Array.isArray(body?.messages) ? body.messages : [];
  // Claude Code also sends `role: "system"` messages (environment, MCP instructions) between turns.
  const system = [body?.system, ...messages.filter((m) => m.role === 'system').map((m) => m.content)]
    .map(textOf)
    .join('\n');
  const users = messages.filter((m) => m.role === 'user');
  const userTexts = users.map((m) => textOf(m.content)).filter((t) => t !== '');
  const lastAssistant = messages.map((m) => m.role).lastIndexOf('assistant');
  return {
    api: 'anthropic',
    system,
    firstUser: users.length ? textOf(users[0]!.content) : '',
    userTexts,
    latest: messages
      .slice(lastAssistant + 1)
      .flatMap((m) => blocks(m.content).map(blockText))
      .filter(Boolean)
      .join('\n'),
    step: assistantTurns(messages.map((m) => m.role).filter((role) => role !== 'system')),
    tools: Array.isArray(body?.tools) ? body.tools.map((t: { name: string }) => t.name) : [],
    body,
  };
}

interface Reply {
  content: Block[];
  stopReason: 'end_turn' | 'tool_use';
}

function reply(request: RecordedRequest): Reply {
  const plan = request.plan!;
  const content: Block[] = [];
  if (plan.text || plan.calls.length === 0) content.push({ type: 'text', text: plan.text || 'Done.' });
  for (const call of plan.calls) {
    const name = resolveToolName(call.tool, request.view!.tools) ?? call.tool;
    content.push({
      type: 'tool_use',
      id: `toolu_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      name,
      input: call.input as Json,
    });
  }
  return { content, stopReason: plan.calls.length ? 'tool_use' : 'end_turn' };
}

function usage(request: RecordedRequest, output: unknown) {
  return {
    input_tokens: tokens(request.body?.messages),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: tokens(output),
  };
}

function stream(res: ServerResponse, request: RecordedRequest, { content, stopReason }: Reply): void {
  const id = `msg_${randomUUID().replace(/-/g, '')}`;
  const model = request.body?.model ?? 'scripted';
  const { output_tokens, ...inputUsage } = usage(request, content);
  startSse(res);
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage, output_tokens: 1 },
    },
  });
  content.forEach((block, index) => {
    if (block.type === 'text') {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      sse(res, 'content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: block.text },
      });
    } else {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      sse(res, 'content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
  });
  sse(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens },
  });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

export function startAnthropicServer(script: Script): Promise<ScriptedServer> {
  return startScriptedServer(script, {
    prepare(request, current) {
      if (request.method !== 'POST' || request.path !== '/v1/messages') return;
      request.view = viewAnthropic(request.body);
      request.plan = planReply(current, request.view);
    },
    async respond(request, res, signal) {
      if (request.method === 'POST' && request.path === '/v1/messages/count_tokens')
        return sendJson(res, 200, { input_tokens: tokens(request.body) });
      if (!request.plan)
        return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: request.path } });
      await sleep(request.plan.delayMs, signal);
      if (signal.aborted) return;
      const answer = reply(request);
      if (request.body?.stream) return stream(res, request, answer);
      sendJson(res, 200, {
        id: `msg_${randomUUID().replace(/-/g, '')}`,
        type: 'message',
        role: 'assistant',
        model: request.body?.model ?? 'scripted',
        content: answer.content,
        stop_reason: answer.stopReason,
        stop_sequence: null,
        usage: usage(request, answer.content),
      });
    },
  });
}
