/**
 * What the dashboard shows, read through the same ops and stores as the CLI and the MCP tools:
 * the project's sessions, a session (its agents, budget, steering and where the feed is), one
 * agent in full, and pages of the bus. Shapes are defined once here (zod) and the page imports
 * their types; nothing here holds a secret (an agent's command line and environment are not in
 * its view).
 */
import { z } from 'zod';
import { messageSchema, sequenceOf } from '../bus/message.js';
import { MaestroError } from '../errors.js';
import { agentView, agentViewSchema } from '../ops/agents/view.js';
import type { AgentDeps } from '../ops/agents/deps.js';
import { budgetViewSchema, sessionBudget } from '../ops/budget.js';
import { knownSession } from '../ops/sessions.js';
import { turnRecordSchema, type AgentRecord } from '../agents/records.js';
import { directiveSchema } from '../store/steering-store.js';
import { messageIdField, queryField, roleField, sessionIdField, typeField } from '../ops/fields.js';

export const sessionRowSchema = z.object({
  session_id: z.string(),
  agents: z.number(),
  open: z.number().describe('agents not closed'),
  running: z.number(),
  errored: z.number(),
  messages: z.number(),
  last_activity: z.string().nullable(),
});
export type SessionRow = z.infer<typeof sessionRowSchema>;

export const sessionViewSchema = z.object({
  session_id: z.string(),
  agents: z.array(agentViewSchema),
  budget: budgetViewSchema.nullable(),
  steering: z.array(directiveSchema),
  messages: z.number(),
  /** The feed's place when this was read: the event stream continues from it. */
  cursor: z.number(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

export const agentDetailSchema = z.object({
  agent: agentViewSchema,
  session_id: z.string(),
  /** The latest turn's whole result (the view's is cut short). */
  result: z.unknown(),
  turns: z.array(turnRecordSchema),
  /** The feed's place when this was read. */
  cursor: z.number(),
});
export type AgentDetail = z.infer<typeof agentDetailSchema>;

export const messagePageSchema = z.object({
  total: z.number(),
  messages: z.array(messageSchema),
  /** Older matches remain: ask again with before = the first id shown. */
  has_more: z.boolean(),
});
export type MessagePage = z.infer<typeof messagePageSchema>;

/** The timeline's query: which messages, and from where to page back. */
export const messageQuerySchema = z.strictObject({
  type: z.array(typeField).max(20).optional(),
  from: roleField('Sender').optional(),
  to: roleField('Recipient').optional(),
  q: queryField.optional(),
  before: messageIdField('Page back from this message').optional(),
  limit: z.coerce
    .number({ error: 'expected a whole number from 1 to 500' })
    .int({ error: 'expected a whole number from 1 to 500' })
    .min(1, { error: 'expected a whole number from 1 to 500' })
    .max(500, { error: 'expected a whole number from 1 to 500' })
    .default(200),
});
export type MessageQuery = z.infer<typeof messageQuerySchema>;

export async function sessionRows(deps: AgentDeps): Promise<SessionRow[]> {
  const agents = await deps.agents.list({});
  const rows = new Map<string, SessionRow>();
  const row = (id: string) => {
    let found = rows.get(id);
    if (!found) {
      found = { session_id: id, agents: 0, open: 0, running: 0, errored: 0, messages: 0, last_activity: null };
      rows.set(id, found);
    }
    return found;
  };
  for (const s of await deps.bus.sessions()) {
    const r = row(s.session_id);
    r.messages = s.messages;
    r.last_activity = s.last_activity;
  }
  for (const a of agents) {
    const r = row(a.session_id);
    r.agents += 1;
    if (a.status !== 'shutdown') r.open += 1;
    if (a.status === 'running') r.running += 1;
    if (a.status === 'errored') r.errored += 1;
    if (r.last_activity === null || a.updated_at > r.last_activity) r.last_activity = a.updated_at;
  }
  return [...rows.values()].sort((x, y) => (y.last_activity ?? '').localeCompare(x.last_activity ?? ''));
}

export async function sessionView(deps: AgentDeps, sessionId: string): Promise<SessionView> {
  checkSession(sessionId);
  // The cursor is read first: whatever happens while the rest is read comes again on the stream.
  const cursor = await deps.store.feed.head();
  const agents = await deps.agents.list({ sessionId });
  const total = (await deps.bus.list(sessionId, {}, { limit: 1 })).total;
  if (agents.length === 0 && total === 0) await knownSession(deps.store, sessionId);
  return {
    session_id: sessionId,
    agents: await Promise.all(agents.map((a) => agentView(deps, a))),
    budget: await sessionBudget(deps, sessionId),
    steering: await deps.store.steering.active(sessionId),
    messages: total,
    cursor,
  };
}

export async function agentDetail(deps: AgentDeps, sessionId: string, agentId: string): Promise<AgentDetail> {
  const cursor = await deps.store.feed.head();
  const agent = await agentIn(deps, sessionId, agentId);
  const turns = await deps.agents.turns(agent.id);
  const latest = turns.find((t) => t.turn === agent.turn);
  return {
    agent: await agentView(deps, agent),
    session_id: agent.session_id,
    result: latest ? (latest.reported_at ? latest.result : latest.final_message) : null,
    turns,
    cursor,
  };
}

/** The agent by id, and only in the session the page asked about. */
export async function agentIn(deps: AgentDeps, sessionId: string, agentId: string): Promise<AgentRecord> {
  checkSession(sessionId);
  const agent = await deps.agents.get(agentId);
  if (!agent || agent.session_id !== sessionId)
    throw new MaestroError('not_found', `no agent ${agentId} in session ${sessionId}`);
  return agent;
}

export async function messagePage(deps: AgentDeps, sessionId: string, query: MessageQuery): Promise<MessagePage> {
  checkSession(sessionId);
  const filter = { from: query.from, to: query.to, types: query.type };
  const beforeSeq = query.before === undefined ? undefined : sequenceOf(query.before);
  const page = query.q
    ? await deps.bus.search(sessionId, query.q, filter, query.limit, beforeSeq)
    : await deps.bus.list(sessionId, filter, { limit: query.limit, beforeSeq });
  return { total: page.total, messages: page.messages, has_more: page.has_more };
}

function checkSession(sessionId: string): void {
  const checked = sessionIdField.safeParse(sessionId);
  if (!checked.success)
    throw new MaestroError('invalid_input', `session '${sessionId}': ${checked.error.issues[0]!.message}`);
}
