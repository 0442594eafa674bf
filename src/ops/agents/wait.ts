/**
 * wait_agent: returns as soon as the caller has news — a target's turn finished (it reported a
 * result, completed or errored) or someone sent the caller a message with send_message — and at
 * once if such news is already pending. News is consumed inside a write transaction, so each piece
 * reaches one wait once; it is written in the same transaction as the event that causes it, so
 * a wait never misses news that arrived just before it looked.
 *
 * A wait nobody will hear consumes nothing: a cancelled request (or a closed connection) wakes
 * the wait at once; the news is taken and the answer built in one unit of work, which is rolled
 * back if the wait was cancelled meanwhile, and from its commit to the response nothing waits
 * for I/O, so no cancellation can arrive in between. A wait also never
 * outlasts what the calling client allows (`CallLimit`): it ends as timed out just before that.
 */
import { z } from 'zod';
import { clientGone } from '../../agents/client.js';
import { isInTurn, isOpen } from '../../agents/status.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { AgentRecord, News, TurnRecord } from '../../store/records.js';
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

/** Thrown inside the unit of work of a wait cancelled meanwhile: what it took is given back. */
class Cancelled extends Error {}

/** What an answer reads: agents and their turns. */
interface AnswerReads {
  agents: Pick<AgentStore, 'get' | 'turns'>;
}

/**
 * An answer's reads, each agent's record and turns read once: inside the answer's unit of work they
 * cannot change, and on a database across the network every read is a round trip.
 */
function readOnce(agents: AgentStore): AnswerReads {
  const records = new Map<string, Promise<AgentRecord | null>>();
  const turns = new Map<string, Promise<TurnRecord[]>>();
  const once = <T>(memo: Map<string, Promise<T>>, id: string, read: () => Promise<T>): Promise<T> => {
    let pending = memo.get(id);
    if (!pending) memo.set(id, (pending = read()));
    return pending;
  };
  return {
    agents: {
      get: (id) => once(records, id, () => agents.get(id)),
      turns: (id) => once(turns, id, () => agents.turns(id)),
    },
  };
}

async function outcome(stores: AnswerReads, resultChars: number, agent: AgentRecord): Promise<AgentOutcome> {
  const result = resultPreview(agent, await latestTurn(stores, agent), resultChars);
  return {
    agent_id: agent.id,
    status: agent.status,
    turn: agent.turn,
    ...(result !== null ? { result } : {}),
    ...(agent.status === 'errored' && agent.status_reason ? { error: agent.status_reason } : {}),
  };
}

async function describe(stores: AnswerReads, news: News[], messages: Message[]): Promise<string> {
  const parts: string[] = [];
  for (const n of news) {
    if (n.kind !== 'final') continue;
    const agent = await stores.agents.get(n.agent_id);
    if (!agent) continue;
    const turn = (await stores.agents.turns(agent.id)).find((t) => t.turn === n.turn);
    if (turn?.reported_at) parts.push(`${agent.task_name} reported its result`);
    else
      parts.push(
        `${agent.task_name} ${agent.status}${agent.status === 'errored' && agent.status_reason ? `: ${agent.status_reason}` : ''}`,
      );
  }
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
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const requested = input.timeout_ms ?? WAIT_DEFAULT_MS;
  const limit = control.callLimit ?? null;
  const shortened = limit !== null && limit.holdMs < requested;
  const timeout = shortened ? limit.holdMs : requested;
  const recipient = caller.agentId ?? topLevelRecipient(caller.clientId);
  // A top-level client takes up the agents of a client of the session that is gone (a restart).
  // A look first, every time round: adopting is a write, and there is seldom anyone to adopt.
  const adopt = async () => {
    if (caller.agentId !== null || caller.clientId === null) return;
    if ((await deps.agents.otherClients(sessionId, caller.clientId)).some(clientGone))
      await deps.agents.adoptOrphans(sessionId, caller.clientId, clientGone);
  };
  await adopt();
  const targets = input.targets?.length
    ? await Promise.all(input.targets.map((t) => findAgent(deps, sessionId, t)))
    : (await deps.agents.children(sessionId, caller.agentId)).filter(
        (a) => isOpen(a.status) && (caller.agentId !== null || mine(a, caller.clientId)),
      );
  const resultChars = deps.config.config.limits.result_chars;
  const targetIds = targets.map((t) => t.id);
  const started = Date.now();
  let lastProgress = started;

  const snapshot = async (
    stores: AnswerReads,
    timedOut: boolean,
    message: string,
    messages: Message[],
    news: News[] = [],
  ): Promise<WaitResult> => {
    const agents: Record<string, AgentOutcome> = {};
    const names = new Map<string, string>();
    for (const t of targets) {
      const now = (await stores.agents.get(t.id)) ?? t;
      agents[now.task_name] = await outcome(stores, resultChars, now);
    }
    for (const n of news) {
      if (n.kind === 'final' && !names.has(n.agent_id))
        names.set(n.agent_id, (await stores.agents.get(n.agent_id))?.task_name ?? n.agent_id);
    }
    return {
      timed_out: timedOut,
      message,
      agents,
      messages: messages.map((m) => ({
        id: m.id,
        from: m.from,
        text: typeof m.data.text === 'string' ? m.data.text : m.summary,
      })),
      finished: news
        .filter((n) => n.kind === 'final' && n.turn !== null)
        .map((n) => ({ task_name: names.get(n.agent_id)!, agent_id: n.agent_id, turn: n.turn! })),
      session_id: sessionId,
    };
  };
  const store = deps.store;

  for (;;) {
    // Before every consume: whatever a cancelled wait took would reach nobody. What it returns is dropped.
    const cancelled = () => snapshot(store, true, 'the wait was cancelled; nothing was taken', []);
    if (control.signal?.aborted) return cancelled();
    await adopt();
    let answer: WaitResult | null = null;
    // A look first, which takes no write lock: most changes a wait hears are not its news, and a
    // consuming transaction for each would queue behind (and hold up) the writers it waits for.
    const named = input.targets?.length ? targetIds : undefined;
    const relevant = (await store.agents.pendingNews(sessionId, recipient)).some(
      (n) => named === undefined || n.kind === 'message' || named.includes(n.agent_id),
    );
    try {
      if (relevant)
        answer = await store.transaction(async (tx) => {
          const news = await tx.agents.consumeNews(sessionId, recipient, named);
          if (news.length === 0) return null;
          const messages: Message[] = [];
          for (const n of news) {
            const m =
              n.kind === 'message' && n.message_seq !== null ? await tx.messages.get(sessionId, n.message_seq) : null;
            if (m) messages.push(m);
          }
          const reads = readOnce(tx.agents);
          const result = await snapshot(reads, false, await describe(reads, news, messages), messages, news);
          if (control.signal?.aborted) throw new Cancelled();
          return result;
        });
    } catch (error) {
      if (error instanceof Cancelled) return cancelled();
      throw error;
    }
    if (answer) return answer;
    const current = await Promise.all(targets.map(async (t) => (await store.agents.get(t.id)) ?? t));
    const stillBusy = current.filter((a) => isInTurn(a.status));
    const elapsed = Date.now() - started;
    if (targets.length === 0) return snapshot(store, false, 'no agents to wait for: spawn one with spawn_agent', []);
    if (stillBusy.length === 0) {
      return snapshot(
        store,
        false,
        `nothing to wait for: ${current.map((a) => `${a.task_name} ${a.status}`).join(', ')}`,
        [],
      );
    }
    if (elapsed >= timeout) {
      const running = `still running: ${stillBusy.map((a) => a.task_name).join(', ')}`;
      const message = shortened
        ? `wait shortened to ${timeout} ms (asked for ${requested} ms) to end before the client's own limit of ` +
          `${limit.clientMs / 1000} s per tool call (${limit.source}); ${running}. Call wait_agent again to keep waiting`
        : `timed out after ${timeout} ms; ${running}`;
      return snapshot(store, true, message, []);
    }
    if (control.onProgress && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      control.onProgress(elapsed, timeout, `waiting for ${stillBusy.map((a) => a.task_name).join(', ')}`);
    }
    await store.changes.next(Math.min(timeout - elapsed, PROGRESS_EVERY_MS), control.signal);
  }
}
