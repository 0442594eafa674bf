/**
 * The dashboard's live data: the event feed followed from a cursor and sent as Server-Sent
 * Events, woken by the store's change notices (its own commits and other processes'), so the
 * page never polls and a change reaches it as soon as it is committed. Each batch carries the
 * feed events and, fresh, what they changed — the views of the agents they are about, the
 * budget after a turn, the steering after a directive — so the page applies it without asking.
 * The SSE `id` is the feed cursor: a reconnecting EventSource continues where it stopped.
 */
import type { ServerResponse } from 'node:http';
import type { AgentDeps } from '../ops/agents/deps.js';
import { agentView, type AgentView } from '../ops/agents/view.js';
import { sessionBudget, type BudgetView } from '../ops/budget.js';
import type { FeedEvent } from '../store/feed-events.js';
import type { Directive } from '../store/steering-store.js';
import { STEERING_TYPE } from '../store/steering-store.js';

export interface StreamBatch {
  events: FeedEvent[];
  /** The agents the events are about, as they are now (session streams only). */
  agents: AgentView[];
  /** The session's budget, when an event may have changed its use. */
  budget?: BudgetView | null;
  /** The directives in force, when a directive was given or withdrawn. */
  steering?: Directive[];
  cursor: number;
}

const BATCH = 500;
/** A comment line this often keeps proxies and the browser from timing the stream out. */
const HEARTBEAT_MS = 15_000;

export async function streamFeed(
  deps: AgentDeps,
  response: ServerResponse,
  options: { sessionId: string | undefined; since: number; signal: AbortSignal },
): Promise<void> {
  const { sessionId, signal } = options;
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  response.write('retry: 1000\n\n');
  let cursor = options.since;
  while (!signal.aborted) {
    // Listening starts before the read: a commit during it wakes the next round.
    const woken = deps.store.changes.next(HEARTBEAT_MS, signal);
    const page = await deps.store.feed.read({ since: cursor, sessionId, limit: BATCH });
    if (page.events.length > 0) {
      cursor = page.events[page.events.length - 1]!.seq;
      const batch = await enrich(deps, sessionId, page.events, cursor);
      response.write(`id: ${cursor}\nevent: batch\ndata: ${JSON.stringify(batch)}\n\n`);
    }
    if (page.has_more) continue;
    const started = Date.now();
    await woken;
    if (Date.now() - started >= HEARTBEAT_MS) response.write(': still here\n\n');
  }
}

async function enrich(
  deps: AgentDeps,
  sessionId: string | undefined,
  events: FeedEvent[],
  cursor: number,
): Promise<StreamBatch> {
  const batch: StreamBatch = { events, agents: [], cursor };
  // The sessions list needs the events only; a session's page is given what they changed.
  if (sessionId === undefined) return batch;
  const ids = new Set<string>();
  for (const e of events) {
    if (e.agent_id) ids.add(e.agent_id);
    // Progress logged under an agent's name by someone else (the coordinator may) is its progress too.
    if (e.type === 'message' && e.message.type === 'progress' && e.message.sender_agent_id === null) {
      const named = await deps.agents.resolve(sessionId, e.message.from);
      if (named) ids.add(named.id);
    }
  }
  for (const id of ids) {
    const agent = await deps.agents.get(id);
    if (agent) batch.agents.push(await agentView(deps, agent));
  }
  if (events.some((e) => e.type === 'turn_ended' || e.type === 'agent')) {
    batch.budget = await sessionBudget(deps, sessionId);
  }
  if (events.some((e) => e.type === 'message' && e.message.type === STEERING_TYPE)) {
    batch.steering = await deps.store.steering.active(sessionId);
  }
  return batch;
}
