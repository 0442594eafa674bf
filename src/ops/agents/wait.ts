/**
 * wait_agent: returns as soon as the caller has news — a target's turn finished (it reported a
 * result, completed or errored) or someone sent the caller a message with send_message — and at
 * once if such news is already pending. News is consumed inside a write transaction, so each piece
 * reaches one wait once; it is written in the same transaction as the event that causes it, so
 * a wait never misses news that arrived just before it looked.
 *
 * A wait nobody will hear consumes nothing: a cancelled request (or a closed connection) wakes
 * the wait at once and is checked before every consume, and from the consume to the response
 * nothing yields to the event loop, so no cancellation can arrive in between. A wait also never
 * outlasts what the calling client allows (`CallLimit`): it ends as timed out just before that.
 */
import { z } from 'zod';
import { clientGone } from '../../agents/client.js';
import { isInTurn, isOpen } from '../../agents/status.js';
import type { AgentRecord, News } from '../../bus/agent-store.js';
import { topLevelRecipient } from '../../bus/news.js';
import type { Message } from '../../bus/message.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';
import { findAgent } from './targets.js';
import { latestTurn, resultPreview } from './view.js';

export const WAIT_DEFAULT_MS = 30_000;
export const WAIT_MAX_MS = 3_600_000;
const PROGRESS_EVERY_MS = 1000;

export interface WaitInput {
  timeout_ms?: number | undefined;
  targets?: string[] | undefined;
  session_id?: string | undefined;
}

export const agentOutcomeSchema = z.object({
  agent_id: z.string(),
  status: z.string(),
  turn: z.number(),
  result: z.unknown().optional(),
  error: z.string().optional(),
});
export type AgentOutcome = z.infer<typeof agentOutcomeSchema>;

export const waitResultSchema = z.object({
  timed_out: z.boolean(),
  message: z.string().describe('What ended the wait.'),
  agents: z
    .record(z.string(), agentOutcomeSchema)
    .describe('Each target by task name: status, and its result or final text.'),
  messages: z
    .array(z.object({ id: z.string(), from: z.string(), text: z.string() }))
    .describe('send_message messages to you.'),
  finished: z
    .array(z.object({ task_name: z.string(), agent_id: z.string(), turn: z.number() }))
    .describe('The turns whose ending this wait reports (each reported to one wait, once).'),
  session_id: z.string(),
});
export type WaitResult = z.infer<typeof waitResultSchema>;

/** The longest the calling client lets one call run, and how long a wait may hold it within that. */
export interface CallLimit {
  /** The client's own limit, as it is configured (for the message). */
  clientMs: number;
  /** How long a call may be held: the client's limit minus a margin. */
  holdMs: number;
  /** Who the client is and where its limit comes from, e.g. "Codex (tool_timeout_sec in ~/.codex/config.toml)". */
  source: string;
}

export interface WaitControl {
  /** Aborted when the request is cancelled or the connection closes: the wait then takes nothing. */
  signal?: AbortSignal | undefined;
  callLimit?: CallLimit | null | undefined;
  /** Called about once a second while waiting, for MCP progress notifications. */
  onProgress?: ((elapsedMs: number, totalMs: number, message: string) => void) | undefined;
}

function outcome(deps: AgentDeps, agent: AgentRecord): AgentOutcome {
  const result = resultPreview(agent, latestTurn(deps, agent), deps.config.config.limits.result_chars);
  return {
    agent_id: agent.id,
    status: agent.status,
    turn: agent.turn,
    ...(result !== null ? { result } : {}),
    ...(agent.status === 'errored' && agent.status_reason ? { error: agent.status_reason } : {}),
  };
}

function describe(deps: AgentDeps, news: News[], messages: Message[]): string {
  const parts = news
    .filter((n) => n.kind === 'final')
    .map((n) => {
      const agent = deps.agents.get(n.agent_id);
      if (!agent) return null;
      const turn = deps.agents.turns(agent.id).find((t) => t.turn === n.turn);
      if (turn?.reported_at) return `${agent.task_name} reported its result`;
      return `${agent.task_name} ${agent.status}${agent.status === 'errored' && agent.status_reason ? `: ${agent.status_reason}` : ''}`;
    })
    .filter((p): p is string => p !== null);
  for (const m of messages) parts.push(`message from ${m.from}: ${m.summary}`);
  return parts.join('; ');
}

/** A top-level agent is a client's own when that client started it (or no client is recorded). */
function mine(agent: AgentRecord, clientId: string | null): boolean {
  return agent.client_id === null || clientId === null || agent.client_id === clientId;
}

export async function waitAgent(
  deps: AgentDeps,
  caller: Caller,
  input: WaitInput,
  control: WaitControl = {},
): Promise<WaitResult> {
  const sessionId = deps.session.resolve(caller, input.session_id);
  const requested = input.timeout_ms ?? WAIT_DEFAULT_MS;
  const limit = control.callLimit ?? null;
  const shortened = limit !== null && limit.holdMs < requested;
  const timeout = shortened ? limit.holdMs : requested;
  const recipient = caller.agentId ?? topLevelRecipient(caller.clientId);
  // A top-level client takes up the agents of a client of the session that is gone (a restart).
  const adopt = () => {
    if (caller.agentId === null && caller.clientId !== null)
      deps.agents.adoptOrphans(sessionId, caller.clientId, clientGone);
  };
  adopt();
  const targets = input.targets?.length
    ? input.targets.map((t) => findAgent(deps, sessionId, t))
    : deps.agents
        .children(sessionId, caller.agentId)
        .filter((a) => isOpen(a.status) && (caller.agentId !== null || mine(a, caller.clientId)));
  const targetIds = targets.map((t) => t.id);
  const started = Date.now();
  let lastProgress = started;

  const snapshot = (timedOut: boolean, message: string, messages: Message[], news: News[] = []): WaitResult => ({
    timed_out: timedOut,
    message,
    agents: Object.fromEntries(
      targets.map((t) => {
        const now = deps.agents.get(t.id) ?? t;
        return [now.task_name, outcome(deps, now)];
      }),
    ),
    messages: messages.map((m) => ({
      id: m.id,
      from: m.from,
      text: typeof m.data.text === 'string' ? m.data.text : m.summary,
    })),
    finished: news
      .filter((n) => n.kind === 'final' && n.turn !== null)
      .map((n) => ({
        task_name: deps.agents.get(n.agent_id)?.task_name ?? n.agent_id,
        agent_id: n.agent_id,
        turn: n.turn!,
      })),
    session_id: sessionId,
  });

  for (;;) {
    // Before every consume: whatever a cancelled wait took would reach nobody. What it returns is dropped.
    if (control.signal?.aborted) return snapshot(true, 'the wait was cancelled; nothing was taken', []);
    adopt();
    const news = deps.agents.consumeNews(sessionId, recipient, input.targets?.length ? targetIds : undefined);
    if (news.length > 0) {
      const messages = news
        .filter((n) => n.kind === 'message' && n.message_seq !== null)
        .map((n) => deps.bus.get(sessionId, n.message_seq!))
        .filter((m): m is Message => m !== null);
      return snapshot(false, describe(deps, news, messages), messages, news);
    }
    const current = targets.map((t) => deps.agents.get(t.id) ?? t);
    const stillBusy = current.filter((a) => isInTurn(a.status));
    const elapsed = Date.now() - started;
    if (targets.length === 0) return snapshot(false, 'no agents to wait for: spawn one with spawn_agent', []);
    if (stillBusy.length === 0) {
      return snapshot(false, `nothing to wait for: ${current.map((a) => `${a.task_name} ${a.status}`).join(', ')}`, []);
    }
    if (elapsed >= timeout) {
      const running = `still running: ${stillBusy.map((a) => a.task_name).join(', ')}`;
      const message = shortened
        ? `wait shortened to ${timeout} ms (asked for ${requested} ms) to end before the client's own limit of ` +
          `${limit.clientMs / 1000} s per tool call (${limit.source}); ${running}. Call wait_agent again to keep waiting`
        : `timed out after ${timeout} ms; ${running}`;
      return snapshot(true, message, []);
    }
    if (control.onProgress && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      control.onProgress(elapsed, timeout, `waiting for ${stillBusy.map((a) => a.task_name).join(', ')}`);
    }
    await deps.waker.next(Math.min(timeout - elapsed, PROGRESS_EVERY_MS), control.signal);
  }
}
