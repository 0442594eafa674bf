/**
 * One agent's page: what it was asked and what it answered, its usage and turns, its transcript
 * following live, and the overseer's controls — follow up, interrupt, close (which asks first,
 * naming everything it stops). Changes to the agent come from the session's event stream.
 */
import type { AgentDetail } from '../views.js';
import { enc, follow, get, post, type Connection } from './api.js';
import { dataTable, fill, h, statusBadge, time, tokens, usd } from './dom.js';
import { attempt, notify, type Page } from './shell.js';
import type { StreamBatch } from './api.js';

const TRANSCRIPT_MAX = 5_000;

/** `setName`: tells the header the agent's task name once it is known (the address has its id). */
export function agentPage(
  sessionId: string,
  agentId: string,
  setConnection: (c: Connection) => void,
  setName: (taskName: string) => void,
): Page {
  const base = `/api/sessions/${enc(sessionId)}/agents/${enc(agentId)}`;
  const heading = h('h1', { id: 'agent-h' });
  const facts = h('dl', { className: 'facts', id: 'agent-facts' });
  const task = h('pre', { id: 'agent-task', className: 'text' });
  const result = h('pre', { id: 'agent-result', className: 'text' });
  const turns = h('tbody', { id: 'turn-rows' });
  const transcript = h('ol', {
    id: 'transcript',
    className: 'transcript',
    'aria-label': 'Transcript, oldest first',
    tabindex: '0',
  });
  // Why the transcript cannot be read now (it is kept on a machine where no maestro host runs).
  const transcriptNote = h('p', { id: 'transcript-note', className: 'note', role: 'status' });
  let detail: AgentDetail | null = null;

  const draw = (d: AgentDetail) => {
    detail = d;
    const a = d.agent;
    fill(heading, a.task_name, ' ', statusBadge(a.status));
    setName(a.task_name);
    const fact = (name: string, value: string | null | undefined) => [h('dt', {}, name), h('dd', {}, value ?? '-')];
    fill(
      facts,
      fact('Agent id', a.agent_id),
      fact('Type', `${a.agent_type} / ${a.backend}${a.model ? ` · ${a.model}` : ''}`),
      fact('Parent', a.parent ?? 'the coordinator'),
      fact('Turn', String(a.turns)),
      fact('PID', a.pid === null ? '-' : String(a.pid)),
      fact(
        'Progress',
        a.latest_progress ? `${a.progress_pct === null ? '' : `${a.progress_pct}% · `}${a.latest_progress}` : '-',
      ),
      fact(
        'Usage',
        `${tokens(a.usage.input_tokens)} in (${tokens(a.usage.cached_input_tokens)} cached) / ${tokens(a.usage.output_tokens)} out · ${usd(a.usage.cost_usd)}`,
      ),
      fact('Error', a.error),
      fact('Working directory', a.worktree ? `${a.worktree} (branch ${a.branch})` : a.cwd),
      fact('Started', time(a.created_at)),
      fact('Updated', time(a.updated_at)),
      fact('Closed', a.closed_at ? time(a.closed_at) : null),
    );
    task.textContent = a.last_task_message ?? '-';
    result.textContent =
      d.result === null || d.result === undefined
        ? '-'
        : typeof d.result === 'string'
          ? d.result
          : JSON.stringify(d.result, null, 2);
    fill(
      turns,
      d.turns
        .slice()
        .reverse()
        .map((t) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, String(t.turn)),
            h('td', {}, statusBadge(t.status)),
            h('td', {}, time(t.started_at)),
            h('td', {}, time(t.ended_at)),
            h('td', { className: 'clip' }, t.task),
          ),
        ),
    );
    const closed = a.status === 'shutdown';
    for (const b of [followButton, closeButton]) b.disabled = closed;
    interruptButton.disabled = a.status !== 'running' && a.status !== 'pending_init';
  };

  const load = async () => {
    const d = await get<AgentDetail>(base);
    draw(d);
    return d.cursor;
  };

  const act = (verb: string, body: unknown, done: (r: Record<string, unknown>) => string) =>
    attempt(async () => done(await post<Record<string, unknown>>(`${base}/${verb}`, body)));

  const followText = h('textarea', { id: 'followup-text', name: 'message', rows: '3', required: true });
  const followButton = h('button', { type: 'submit' }, 'Follow up');
  const followForm = h(
    'form',
    { id: 'followup-form', 'aria-label': 'Follow up' },
    h('label', { for: 'followup-text' }, 'A new task for this agent'),
    followText,
    h('div', { className: 'buttons' }, followButton),
  );
  followForm.addEventListener('submit', (e) => {
    e.preventDefault();
    act('followup', { message: followText.value }, (r) => {
      followText.value = '';
      return `Turn ${r.turn} ${r.queued ? 'queued after the running one' : 'started'}`;
    });
  });
  const interruptButton = h(
    'button',
    {
      type: 'button',
      id: 'interrupt',
      onclick: () => act('interrupt', {}, (r) => `Interrupted (it was ${r.previous_status})`),
    },
    'Interrupt',
  );

  const dialogText = h('p', { id: 'close-what' });
  const confirmButton = h('button', { type: 'button', id: 'close-confirm', className: 'danger' }, 'Close agent');
  const cancelButton = h('button', { type: 'button', id: 'close-cancel', autofocus: true }, 'Cancel');
  const dialog = h(
    'dialog',
    { id: 'close-dialog', 'aria-labelledby': 'close-h' },
    h('h2', { id: 'close-h' }, 'Close this agent?'),
    dialogText,
    h('div', { className: 'buttons' }, cancelButton, confirmButton),
  );
  cancelButton.addEventListener('click', () => dialog.close());
  confirmButton.addEventListener('click', () => {
    dialog.close();
    const name = detail!.agent.task_name;
    act('close', { confirm: name }, (r) => `Closed ${(r.closed as string[]).join(', ')}`);
  });
  const closeButton = h(
    'button',
    {
      type: 'button',
      id: 'close',
      className: 'danger',
      onclick: () => {
        if (!detail) return;
        dialogText.textContent = `${detail.agent.task_name} stops now, with every agent below it; its record, result and transcript stay. This cannot be undone.`;
        dialog.showModal();
      },
    },
    'Close…',
  );

  const addLines = (lines: string[]) => {
    const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
    for (const line of lines) transcript.append(h('li', {}, line));
    while (transcript.childElementCount > TRANSCRIPT_MAX) transcript.firstElementChild!.remove();
    if (atBottom) transcript.scrollTop = transcript.scrollHeight;
  };

  const el = h(
    'div',
    { className: 'agent' },
    heading,
    h(
      'div',
      { className: 'controls', role: 'group', 'aria-label': 'Control this agent' },
      interruptButton,
      closeButton,
    ),
    h(
      'div',
      { className: 'columns' },
      h(
        'div',
        {},
        h('section', { 'aria-labelledby': 'task-h' }, h('h2', { id: 'task-h' }, 'Task'), task),
        h('section', { 'aria-labelledby': 'result-h' }, h('h2', { id: 'result-h' }, 'Result'), result),
        h(
          'section',
          { 'aria-labelledby': 'transcript-h' },
          h('h2', { id: 'transcript-h' }, 'Transcript'),
          transcriptNote,
          transcript,
        ),
      ),
      h(
        'aside',
        {},
        h('section', { 'aria-label': 'Facts' }, facts),
        h('section', { 'aria-labelledby': 'followup-h' }, h('h2', { id: 'followup-h' }, 'Follow up'), followForm),
        h(
          'section',
          { 'aria-labelledby': 'turns-h' },
          h('h2', { id: 'turns-h' }, 'Turns'),
          dataTable('turns', 'turns-h', ['Turn', 'Status', 'Started', 'Ended', 'Task'], turns),
        ),
      ),
    ),
    dialog,
  );

  const stops: (() => void)[] = [];
  const ready = load().then((cursor) => {
    stops.push(
      follow(
        `/api/events?session=${enc(sessionId)}&since=${cursor}`,
        {
          batch: (data) => {
            const batch = data as StreamBatch;
            if (batch.agents.some((a) => a.agent_id === agentId)) load().catch(notify.error);
          },
        },
        setConnection,
      ),
      // A reconnected stream starts again with the last lines: the list starts again with it.
      follow(
        `${base}/transcript`,
        {
          lines: (data) => addLines(data as string[]),
          note: (data) => (transcriptNote.textContent = data as string),
        },
        (state) => {
          if (state === 'live') (transcript.replaceChildren(), (transcriptNote.textContent = ''));
        },
      ),
    );
  });
  return { el, title: `${agentId} · maestro`, ready, close: () => stops.forEach((s) => s()) };
}
