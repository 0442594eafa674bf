/**
 * What maestro pushes into its lead: the news a wait_agent of the lead would return (its
 * workers' turn endings, messages sent to it), then its mail (steering directives among it), as
 * one text. The news is taken with wait_agent's own once-only consume and the mail with the
 * mailbox's own cursor, so a push and a wait never hand out the same thing, and a message that
 * is both news and mail is told once.
 */
import { agentCaller } from '../../agents/identity.js';
import { mailText } from '../../agents/prompt.js';
import type { Delivery, Inbox } from '../../agents/supervisor.js';
import type { AgentRecord } from '../../store/records.js';
import type { AgentDeps } from '../agents/deps.js';
import { waitAgent, type WaitResult } from '../agents/wait.js';
import { steeringLines } from '../steering.js';

/** How a push of news starts: its first line says what happened, the JSON below it is the news. */
export const NEWS_HEADER = '[maestro] News: ';

/** The news in a text maestro pushed (what a scripted lead or a test reads back); null when it holds none. */
export function parsePushedNews(text: string): Pick<WaitResult, 'agents' | 'messages' | 'finished'> | null {
  const at = text.indexOf(NEWS_HEADER);
  if (at < 0) return null;
  const body = text.slice(text.indexOf('\n', at) + 1);
  const end = body.indexOf('\n\n[');
  try {
    return JSON.parse(end < 0 ? body : body.slice(0, end)) as Pick<WaitResult, 'agents' | 'messages' | 'finished'>;
  } catch {
    return null;
  }
}

/** The lead's inbox, for its turns started by maestro and for what joins a running one. */
export function leadInbox(deps: AgentDeps): Inbox {
  return { has: (lead) => hasInbox(deps, lead), take: (lead) => takeInbox(deps, lead) };
}

/** Whether the lead has news or mail it has not been given. Takes nothing. */
export async function hasInbox(deps: AgentDeps, lead: AgentRecord): Promise<boolean> {
  if ((await deps.agents.pendingNews(lead.session_id, lead.id)).length > 0) return true;
  return ((await deps.bus.mailboxStatus(lead.session_id, lead.task_name))[0]?.unread ?? 0) > 0;
}

/** Takes what the lead has not been given, as the text of one push; null when there is nothing. */
export async function takeInbox(deps: AgentDeps, lead: AgentRecord): Promise<Delivery | null> {
  const parts: string[] = [];
  const ids: string[] = [];
  if ((await deps.agents.pendingNews(lead.session_id, lead.id)).length > 0) {
    const news = await waitAgent(deps, agentCaller(lead), { timeout_ms: 0, session_id: lead.session_id });
    if (news.finished.length > 0 || news.messages.length > 0) {
      parts.push(
        `${NEWS_HEADER}${news.message}. What wait_agent would have returned (it will not return it again):`,
        JSON.stringify({ agents: news.agents, messages: news.messages, finished: news.finished }, null, 1),
      );
      ids.push(...news.messages.map((m) => m.id));
    }
  }
  const told = new Set(ids);
  const mail = (await deps.bus.readMailbox(lead.session_id, lead.task_name, 100)).filter((m) => !told.has(m.id));
  if (mail.length > 0) {
    parts.push(mailText(mail));
    ids.push(...mail.map((m) => m.id));
  }
  return parts.length ? { text: parts.join('\n\n'), messageIds: ids } : null;
}

/**
 * The text of a lead turn maestro starts: `body`, then every steering directive in force that
 * it does not already announce — the operator's directives are re-applied to each lead turn.
 */
export async function leadTurnText(
  deps: AgentDeps,
  lead: AgentRecord,
  body: string,
  told: readonly string[] = [],
): Promise<string> {
  const inForce = (await deps.store.steering.active(lead.session_id)).filter((d) => !told.includes(d.message_id));
  if (inForce.length === 0) return body;
  return [body, '', "[maestro] The operator's steering in force:", ...steeringLines(inForce)].join('\n');
}
