/**
 * The bus timeline of a session: newest first, filtered by type, sender and recipient, or found
 * by full-text search, paged back from the server as the list is scrolled, and drawn as a
 * virtual list (only the rows in view exist), so 100,000 messages cost what 50 do. New messages
 * arrive from the event stream; blockers are marked by a sign and a word, not colour alone.
 */
import type { Message } from '../../bus/message.js';
import type { MessagePage } from '../views.js';
import { enc, get } from './api.js';
import { fill, h, time } from './dom.js';

const ROW = 30;
const OVERSCAN = 8;
const PAGE = 200;
const TYPES = ['message', 'progress', 'blocker', 'task_complete', 'state_update', 'steering', 'budget'];

interface Filter {
  type: string;
  from: string;
  to: string;
  q: string;
}

export interface Timeline {
  el: HTMLElement;
  /** Messages from the event stream, oldest first. */
  add(messages: Message[]): void;
  /** Resolves when the first page is shown. */
  ready: Promise<void>;
}

export function createTimeline(sessionId: string, onError: (error: unknown) => void): Timeline {
  let items: Message[] = [];
  let ids = new Set<string>();
  let hasMore = false;
  let total = 0;
  let loading: Promise<void> | null = null;
  let filter: Filter = { type: '', from: '', to: '', q: '' };
  let generation = 0;
  let unseen = 0;
  let selected: string | null = null;

  const count = h('p', { className: 'muted', 'aria-live': 'polite', id: 'timeline-count' });
  const inner = h('div', { className: 'vlist-inner' });
  const viewport = h(
    'div',
    { className: 'vlist', role: 'list', 'aria-label': 'Messages, newest first', tabindex: '-1', id: 'timeline' },
    inner,
  );
  const detail = h('section', { className: 'detail', 'aria-label': 'Selected message', id: 'message-detail' });

  const field = (name: keyof Filter, label: string, input: HTMLInputElement | HTMLSelectElement) => {
    input.id = `filter-${name}`;
    input.name = name;
    return h('label', { for: input.id }, label, input);
  };
  const typeSelect = h(
    'select',
    {},
    h('option', { value: '' }, 'any type'),
    TYPES.map((t) => h('option', { value: t }, t)),
  );
  const fromInput = h('input', { type: 'text', placeholder: 'any', autocomplete: 'off' });
  const toInput = h('input', { type: 'text', placeholder: 'any', autocomplete: 'off' });
  const searchInput = h('input', { type: 'search', placeholder: 'words in summaries and data', autocomplete: 'off' });
  const form = h(
    'form',
    { role: 'search', className: 'filters', 'aria-label': 'Filter the messages' },
    field('type', 'Type', typeSelect),
    field('from', 'From', fromInput),
    field('to', 'To', toInput),
    field('q', 'Search', searchInput),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });
  typeSelect.addEventListener('change', () => apply());

  const apply = () => {
    filter = {
      type: typeSelect.value,
      from: fromInput.value.trim(),
      to: toInput.value.trim(),
      q: searchInput.value.trim(),
    };
    items = [];
    ids = new Set();
    hasMore = false;
    unseen = 0;
    generation += 1;
    loading = null;
    viewport.scrollTop = 0;
    void loadOlder();
  };

  const query = (before?: string) => {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (filter.type) params.append('type', filter.type);
    if (filter.from) params.set('from', filter.from);
    if (filter.to) params.set('to', filter.to);
    if (filter.q) params.set('q', filter.q);
    if (before) params.set('before', before);
    return `/api/sessions/${enc(sessionId)}/messages?${params}`;
  };

  const loadOlder = (): Promise<void> => {
    if (loading) return loading;
    const mine = generation;
    loading = get<MessagePage>(query(items[items.length - 1]?.id))
      .then((page) => {
        if (mine !== generation) return;
        const older = page.messages.reverse().filter((m) => !ids.has(m.id));
        for (const m of older) ids.add(m.id);
        items.push(...older);
        hasMore = page.has_more;
        total = page.total;
        render();
      })
      .catch((error: unknown) => {
        if (mine === generation) onError(error);
      })
      .finally(() => {
        if (mine === generation) loading = null;
      });
    return loading;
  };

  const matches = (m: Message) =>
    (!filter.type || m.type === filter.type) &&
    (!filter.from || m.from === filter.from) &&
    (!filter.to || m.to === filter.to);

  const row = (m: Message, index: number) => {
    const blocker = m.type === 'blocker';
    const el = h(
      'div',
      {
        role: 'listitem',
        tabindex: '0',
        className: `row${blocker ? ' blocker' : ''}${m.id === selected ? ' selected' : ''}`,
        'data-id': m.id,
        'aria-label': `${m.id} ${m.type} from ${m.from} to ${m.to}: ${m.summary}`,
        style: `top:${index * ROW}px`,
      },
      h('span', { className: 'id' }, m.id),
      h('span', { className: 'ts' }, time(m.ts)),
      h('span', { className: 'who' }, `${m.from} → ${m.to}`),
      h('span', { className: `type type-${m.type}` }, blocker ? '⚠ blocker' : m.type),
      h('span', { className: 'summary' }, m.summary),
    );
    el.addEventListener('click', () => select(m));
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') (e.preventDefault(), select(m));
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const next = index + (e.key === 'ArrowDown' ? 1 : -1);
        if (next < 0 || next >= items.length) return;
        viewport.scrollTop = Math.min(viewport.scrollTop, next * ROW);
        if ((next + 1) * ROW > viewport.scrollTop + viewport.clientHeight)
          viewport.scrollTop = (next + 1) * ROW - viewport.clientHeight;
        render();
        (inner.querySelector(`[data-id="${items[next]!.id}"]`) as HTMLElement | null)?.focus();
      }
    });
    return el;
  };

  const select = (m: Message) => {
    selected = m.id;
    fill(
      detail,
      h('h3', {}, `${m.id} · ${m.type} · ${m.from} → ${m.to} · ${time(m.ts)}`),
      h('p', { className: 'text' }, m.summary),
      Object.keys(m.data).length ? h('pre', {}, JSON.stringify(m.data, null, 2)) : null,
      m.sender_agent_id ? h('p', { className: 'muted' }, `written by agent ${m.sender_agent_id}`) : null,
    );
    render();
  };

  const render = () => {
    inner.style.height = `${items.length * ROW}px`;
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(items.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW) + OVERSCAN);
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.id;
    fill(
      inner,
      items.slice(first, last).map((m, i) => row(m, first + i)),
    );
    if (focused) (inner.querySelector(`[data-id="${focused}"]`) as HTMLElement | null)?.focus();
    const n = total.toLocaleString('en');
    const shown = filter.q || filter.type || filter.from || filter.to ? `${n} matching` : n;
    count.textContent = `${shown} message${total === 1 ? '' : 's'}${items.length < total ? ` · ${items.length.toLocaleString('en')} loaded, more as you scroll` : ''}${unseen ? ` · ${unseen} new since this search: apply it again to see them` : ''}`;
    if (items.length === 0 && !loading) inner.append(h('p', { className: 'empty' }, 'No messages.'));
    if (hasMore && last >= items.length - OVERSCAN) void loadOlder();
  };
  viewport.addEventListener('scroll', () => requestAnimationFrame(render), { passive: true });

  const el = h(
    'section',
    { className: 'timeline', 'aria-labelledby': 'timeline-h' },
    h('h2', { id: 'timeline-h' }, 'Bus'),
    form,
    count,
    viewport,
    detail,
  );
  const ready = loadOlder();
  return {
    el,
    ready,
    add(messages) {
      if (filter.q) {
        unseen += messages.length;
        return render();
      }
      const fresh = messages.filter((m) => matches(m) && !ids.has(m.id)).reverse();
      for (const m of fresh) ids.add(m.id);
      if (fresh.length === 0) return;
      // Kept in place while reading further down: the rows above grow, the view does not move.
      if (viewport.scrollTop > 0) viewport.scrollTop += fresh.length * ROW;
      items.unshift(...fresh);
      total += fresh.length;
      render();
    },
  };
}
