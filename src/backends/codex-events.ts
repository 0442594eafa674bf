/**
 * What `codex app-server` notifications mean for a maestro turn: one reader per process keeps
 * the thread id, the open turn (its id once known), the last agent message and the turn's token
 * counts, and turns notifications into BackendEvents. Notifications about another turn (the
 * token counts `thread/resume` repeats for the last old turn) are not counted. Every field is read
 * with the `as…` checks: a malformed notification is skipped, never thrown on.
 * Shapes: test/fixtures/recorded/FACTS.md (app-server section).
 */
import { asNumber, asObject, asText } from './process.js';
import type { BackendEvent, Usage } from './types.js';

type Params = Record<string, unknown>;

export interface CodexTurnReader {
  /** A notification from the app-server. */
  notification(method: string, params: Params): void;
  /** The thread is known (from `thread/start` or `thread/resume`), and the model it runs when codex says. */
  thread(id: string, model?: string): void;
  /** We asked for a turn: it is open from now on, its id still unknown. */
  open(): void;
  /** The id of the open turn (from `turn/start`'s response). */
  started(turnId: string): void;
  /** An interrupt was asked for: the turn's end is reported as interrupted. */
  interrupting(): void;
  /** Ends the open turn as errored (it could not start, the process is gone …); nothing if none is open. */
  fail(error: string): void;
  turnOpen(): boolean;
  /** The open turn's id, once codex has told it. */
  turnId(): string | null;
}

function tokenUsage(params: Params): Usage | null {
  const last = asObject(asObject(params.tokenUsage)?.last);
  if (!last) return null;
  return {
    input_tokens: asNumber(last.inputTokens) ?? 0,
    cached_input_tokens: asNumber(last.cachedInputTokens) ?? 0,
    output_tokens: asNumber(last.outputTokens) ?? 0,
    cost_usd: 0, // codex reports no cost
  };
}

function addUsage(a: Usage | null, b: Usage): Usage {
  if (!a) return b;
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cost_usd: 0,
  };
}

/** A line for the transcript about a finished item, or null for items that say nothing new. */
function describeItem(item: Params): string | null {
  switch (item.type) {
    case 'mcpToolCall':
      return `→ ${asText(item.server) ?? '?'}.${asText(item.tool) ?? '?'} ${asText(item.status) ?? ''}`.trim();
    case 'dynamicToolCall':
      return `→ ${asText(item.tool) ?? '?'} ${asText(item.status) ?? ''}`.trim();
    case 'commandExecution':
      return `$ ${asText(item.command) ?? ''}`;
    case 'fileChange': {
      const changes = Array.isArray(item.changes) ? item.changes : [];
      const paths = changes.map((c) => asText(asObject(c)?.path)).filter(Boolean);
      return `edited ${paths.join(', ') || 'files'}`;
    }
    default:
      return null;
  }
}

export function createCodexTurnReader(emit: (event: BackendEvent) => void): CodexTurnReader {
  let threadId: string | null = null;
  let open = false;
  let currentTurn: string | null = null;
  let interruptAsked = false;
  let lastMessage: string | null = null;
  let usage: Usage | null = null;
  let failure: string | null = null;

  let model: string | null = null;
  const thread = (id: string, named?: string) => {
    if (named) model = named;
    if (id === threadId) return;
    threadId = id;
    emit({ kind: 'session', id });
  };

  /** Whether a notification that names a turn is about the open one. */
  const ours = (params: Params) => {
    const turn = asText(params.turnId);
    return open && (turn === undefined || currentTurn === null || turn === currentTurn);
  };

  const end = (outcome: 'completed' | 'errored' | 'interrupted', error: string | null) => {
    if (!open) return;
    const event: BackendEvent = {
      kind: 'turn_end',
      outcome,
      final_message: lastMessage,
      error,
      usage,
      ...(model ? { model } : {}),
    };
    open = false;
    currentTurn = null;
    interruptAsked = false;
    lastMessage = null;
    usage = null;
    failure = null;
    emit(event);
  };

  const adopt = (turnId: string) => {
    if (open && currentTurn === null) {
      currentTurn = turnId;
      emit({ kind: 'input_window' }); // steering needs the turn id: mail that waited for it can go now
    }
  };

  return {
    thread,
    open() {
      open = true;
      currentTurn = null;
      interruptAsked = false;
    },
    started: adopt,
    interrupting() {
      if (open) interruptAsked = true;
    },
    fail(error) {
      end('errored', error);
    },
    turnOpen: () => open,
    turnId: () => (open ? currentTurn : null),

    notification(method, params) {
      switch (method) {
        case 'thread/started': {
          const id = asText(asObject(params.thread)?.id);
          if (id) thread(id);
          return;
        }
        case 'turn/started': {
          const id = asText(asObject(params.turn)?.id);
          if (id) adopt(id);
          return;
        }
        case 'item/started': {
          const item = asObject(params.item);
          // A tool call under way: the moment Claude Code takes mail too; for codex any time in a turn will do.
          if (item && ours(params) && item.type !== 'userMessage' && item.type !== 'agentMessage')
            emit({ kind: 'input_window' });
          return;
        }
        case 'item/completed': {
          const item = asObject(params.item);
          if (!item || !ours(params)) return;
          const text = asText(item.text);
          if (item.type === 'agentMessage' && text) {
            lastMessage = text;
            emit({ kind: 'activity', text });
            return;
          }
          const line = describeItem(item);
          if (line) emit({ kind: 'activity', text: line });
          return;
        }
        case 'thread/tokenUsage/updated': {
          const counted = tokenUsage(params);
          if (counted && open && currentTurn !== null && asText(params.turnId) === currentTurn)
            usage = addUsage(usage, counted);
          return;
        }
        case 'error': {
          // Only a message that is text explains a failure; anything else says nothing about it.
          const message = asText(asObject(params.error)?.message);
          if (params.willRetry === true) emit({ kind: 'activity', text: `retrying: ${message ?? 'error'}` });
          else if (ours(params)) {
            if (message) failure = message;
            emit({ kind: 'activity', text: `error: ${message ?? '(no message)'}` });
          }
          return;
        }
        case 'turn/completed': {
          const turn = asObject(params.turn);
          if (!turn || !open) return;
          const id = asText(turn.id);
          if (currentTurn !== null && id !== undefined && id !== currentTurn) return;
          const status = asText(turn.status);
          const error = asText(asObject(turn.error)?.message) ?? failure;
          if (lastMessage === null && Array.isArray(turn.items)) {
            const said = turn.items.map(asObject).filter((i) => i?.type === 'agentMessage' && asText(i.text));
            lastMessage = asText(said.at(-1)?.text) ?? null;
          }
          if (status === 'completed') end('completed', null);
          else if (status === 'interrupted' || interruptAsked) end('interrupted', 'interrupted');
          else end('errored', error ?? 'turn failed');
          return;
        }
        default:
          return;
      }
    },
  };
}
