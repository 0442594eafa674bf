/**
 * A session's page: its agent tree (parent above children) with status, progress, usage and
 * budget; the steering in force; a composer to message an agent or the coordinator; and the bus
 * timeline. It follows the session's event stream from the cursor its first read came with, so
 * every change after that read shows, once, without a reload.
 */
import type { Message } from '../../bus/message.js';
import type { AgentView } from '../../ops/agents/view.js';
import type { BudgetView } from '../../ops/budget.js';
import type { Directive } from '../../store/steering-store.js';
import type { SessionView } from '../views.js';
import { enc, follow, get, post, type Connection, type StreamBatch } from './api.js';
import { dataTable, fill, h, statusBadge, time, tokens, usd, when } from './dom.js';
import { attempt, notify, type Page } from './shell.js';
import { createTimeline } from './timeline.js';

export function sessionPage(sessionId: string, setConnection: (c: Connection) => void): Page {
  const agents = new Map<string, AgentView>();
  let budget: BudgetView | null = null;
  let steering: Directive[] = [];
  const tree = h('tbody', { id: 'agent-rows' });
  const budgetEl = h('div', { className: 'budget', id: 'budget' });
  const steeringList = h('ul', { className: 'steering', id: 'steering-list' });
  const recipients = h('select', { id: 'send-to', name: 'to' });
  const timeline = createTimeline(sessionId, notify.error);

  const drawAgents = () => {
    const rows = [...agents.values()].sort((a, b) => comparePaths(a.path, b.path));
    fill(
      tree,
      rows.length
        ? rows.map((a) => agentRow(sessionId, a, budget, Math.min(...rows.map((r) => r.depth))))
        : h('tr', {}, h('td', { colspan: '9', className: 'empty' }, 'No agents yet.')),
    );
    const chosen = recipients.value;
    const open = rows.filter((a) => a.status !== 'shutdown');
    // A `maestro team` session's coordinator is its lead (depth 0), an agent like the others.
    const lead = open.find((a) => a.depth === 0);
    fill(
      recipients,
      lead ? null : h('option', { value: 'coordinator' }, 'coordinator'),
      open.map((a) => h('option', { value: a.agent_id }, a.depth === 0 ? `${a.task_name} (the lead)` : a.task_name)),
    );
    if ([...recipients.options].some((o) => o.value === chosen)) recipients.value = chosen;
  };
  const drawBudget = () => fill(budgetEl, budget ? budgetLines(budget) : null);
  const drawSteering = () =>
    fill(
      steeringList,
      steering.length
        ? steering.map((d) =>
            h(
              'li',
              { 'data-directive': d.id },
              h('span', { className: 'text' }, `#${d.id} ${d.text}`),
              h('span', { className: 'muted' }, ` · ${d.given_by}, ${time(d.created_at)} `),
              h(
                'button',
                { type: 'button', 'aria-label': `Clear directive #${d.id}`, onclick: () => clearSteering(d.id) },
                'Clear',
              ),
            ),
          )
        : h('li', { className: 'empty' }, 'No steering in force.'),
    );

  const clearSteering = (id?: number) =>
    attempt(async () => {
      const result = await post<{ cleared: Directive[] }>(
        `/api/sessions/${enc(sessionId)}/clear_steering`,
        id ? { id } : {},
      );
      return `Cleared ${result.cleared.map((d) => `#${d.id}`).join(', ') || 'nothing'}`;
    });

  const steerText = h('textarea', { id: 'steer-text', name: 'text', rows: '2', required: true });
  const steerForm = h(
    'form',
    { 'aria-labelledby': 'steering-h', id: 'steer-form' },
    h('label', { for: 'steer-text' }, 'New directive for the whole team'),
    steerText,
    h(
      'div',
      { className: 'buttons' },
      h('button', { type: 'submit' }, 'Steer'),
      h('button', { type: 'button', onclick: () => clearSteering() }, 'Clear all'),
    ),
  );
  steerForm.addEventListener('submit', (e) => {
    e.preventDefault();
    attempt(async () => {
      const { directive } = await post<{ directive: Directive }>(`/api/sessions/${enc(sessionId)}/steer`, {
        text: steerText.value,
      });
      steerText.value = '';
      return `Steering #${directive.id} in force`;
    });
  });

  const sendText = h('textarea', { id: 'send-text', name: 'message', rows: '3', required: true });
  const sendForm = h(
    'form',
    { 'aria-labelledby': 'send-h', id: 'send-form' },
    h('label', { for: 'send-to' }, 'To'),
    recipients,
    h('label', { for: 'send-text' }, 'Message'),
    sendText,
    h('div', { className: 'buttons' }, h('button', { type: 'submit' }, 'Send')),
  );
  sendForm.addEventListener('submit', (e) => {
    e.preventDefault();
    attempt(async () => {
      const sent = await post<{ message_id: string; target: string; delivery: string }>(
        `/api/sessions/${enc(sessionId)}/send`,
        { to: recipients.value, message: sendText.value },
      );
      sendText.value = '';
      return `Sent ${sent.message_id} to ${sent.target} (${sent.delivery === 'injected' ? 'handed over mid-turn' : 'queued for its next turn or read'})`;
    });
  });

  const el = h(
    'div',
    { className: 'session' },
    h('h1', {}, h('span', { className: 'muted' }, 'Session '), sessionId),
    h(
      'section',
      { 'aria-labelledby': 'agents-h' },
      h('h2', { id: 'agents-h' }, 'Agents'),
      budgetEl,
      dataTable(
        'agents',
        'agents-h',
        ['Agent', 'Status', 'Type', 'Turn', 'PID', 'Progress', 'Tokens in/out', 'Cost', 'Updated'],
        tree,
      ),
    ),
    h(
      'div',
      { className: 'columns' },
      timeline.el,
      h(
        'aside',
        {},
        h('section', { 'aria-labelledby': 'send-h' }, h('h2', { id: 'send-h' }, 'Send a message'), sendForm),
        h(
          'section',
          { 'aria-labelledby': 'steering-h' },
          h('h2', { id: 'steering-h' }, 'Steering'),
          steeringList,
          steerForm,
        ),
      ),
    ),
  );

  let stop = () => undefined as void;
  const start = async () => {
    const view = await get<SessionView>(`/api/sessions/${enc(sessionId)}`);
    for (const a of view.agents) agents.set(a.agent_id, a);
    budget = view.budget;
    steering = view.steering;
    drawAgents();
    drawBudget();
    drawSteering();
    await timeline.ready;
    stop = follow(
      `/api/events?session=${enc(sessionId)}&since=${view.cursor}`,
      {
        batch: (data) => {
          const batch = data as StreamBatch;
          for (const a of batch.agents) agents.set(a.agent_id, a);
          if (batch.budget !== undefined) budget = batch.budget;
          if (batch.steering) ((steering = batch.steering), drawSteering());
          drawAgents();
          drawBudget();
          const messages = batch.events.flatMap((e) => (e.type === 'message' ? [e.message as Message] : []));
          if (messages.length) timeline.add(messages);
        },
      },
      setConnection,
    );
  };
  return { el, title: `${sessionId} · maestro`, ready: start(), close: () => stop() };
}

function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

/** `top`: the session's shallowest depth (0 under a `maestro team` lead, else 1), drawn flush left. */
function agentRow(sessionId: string, a: AgentView, budget: BudgetView | null, top: number): HTMLTableRowElement {
  const level = a.depth - top;
  const pct = a.progress_pct;
  const progressText = a.latest_progress ? a.latest_progress.replace(/^MSG-\d+ /, '') : '';
  return h(
    'tr',
    { 'data-agent': a.task_name, 'data-status': a.status, 'aria-level': a.depth },
    h(
      'th',
      { scope: 'row', style: `padding-left:${0.5 + level * 1.25}rem` },
      level > 0 ? h('span', { 'aria-hidden': 'true', className: 'muted' }, '└ ') : null,
      h('a', { href: `#/s/${enc(sessionId)}/a/${enc(a.agent_id)}` }, a.task_name),
      a.parent ? h('span', { className: 'sr-only' }, ` (under ${a.parent})`) : null,
    ),
    h('td', {}, statusBadge(a.status), a.error ? h('div', { className: 'error-text' }, a.error) : null),
    h('td', {}, `${a.agent_type} / ${a.backend}`),
    h('td', {}, String(a.turns)),
    h('td', {}, a.pid === null ? '-' : String(a.pid)),
    h(
      'td',
      { className: 'progress-cell' },
      pct === null
        ? null
        : h('progress', { max: '100', value: String(pct), 'aria-label': `${a.task_name} progress` }, `${pct}%`),
      pct === null ? null : h('span', { className: 'pct' }, ` ${pct}%`),
      progressText ? h('div', { className: 'progress-text' }, progressText) : null,
    ),
    h('td', {}, `${tokens(a.usage.input_tokens)} / ${tokens(a.usage.output_tokens)}`),
    h(
      'td',
      {},
      usd(a.usage.cost_usd),
      budget?.limits.usd ? h('span', { className: 'muted' }, ` of ${usd(budget.limits.usd)}`) : null,
    ),
    h('td', { title: a.updated_at }, when(a.updated_at)),
  );
}

const LIMIT_NAMES: Record<string, [string, (n: number) => string]> = {
  usd: ['Cost', usd],
  tokens: ['Tokens', (n) => tokens(Math.round(n))],
  max_agents: ['Agents', (n) => String(n)],
  max_minutes: ['Minutes', (n) => n.toFixed(1)],
};
const USED: Record<string, keyof BudgetView['used']> = {
  usd: 'usd',
  tokens: 'tokens',
  max_agents: 'agents',
  max_minutes: 'minutes',
};

function budgetLines(budget: BudgetView): HTMLElement {
  return h(
    'dl',
    { className: 'budget-list', 'aria-label': 'Budget' },
    Object.entries(budget.limits).flatMap(([kind, limit]) => {
      if (limit === undefined || limit === null) return [];
      const [name, fmt] = LIMIT_NAMES[kind] ?? [kind, String];
      const used = budget.used[USED[kind] ?? 'usd'];
      const spent = budget.spent.includes(kind as never);
      const pct = Math.min(100, Math.round((used / Number(limit)) * 100));
      return [
        h('dt', {}, `Budget: ${name}`),
        h(
          'dd',
          { className: spent ? 'spent' : '' },
          h('progress', { max: '100', value: String(pct), 'aria-label': `Budget ${name} used` }, `${pct}%`),
          ` ${fmt(used)} of ${fmt(Number(limit))} (${pct}%)${spent ? ' · spent: new work is refused' : ''}`,
        ),
      ];
    }),
  );
}
