/**
 * Building the page's elements. Everything shown goes in as text nodes: content from agents
 * (summaries, results, transcript lines) can hold any string, `<script>` included, and is never
 * parsed as HTML. There is no innerHTML anywhere in the page (a test checks).
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'className') el.className = String(value);
    // Through the CSSOM: the page's policy refuses style attributes.
    else if (name === 'style') el.style.cssText = String(value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces what `el` holds. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A table in its scrolling wrapper: named by the heading `labelledBy`, its columns' headers, its body. */
export function dataTable(
  className: string,
  labelledBy: string,
  columns: string[],
  body: HTMLTableSectionElement,
): HTMLElement {
  return h(
    'div',
    { className: 'table-wrap' },
    h(
      'table',
      { className, 'aria-labelledby': labelledBy },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      body,
    ),
  );
}

const STATUS_LABELS: Record<string, [string, string]> = {
  pending_init: ['…', 'starting'],
  running: ['▶', 'running'],
  completed: ['✓', 'completed'],
  errored: ['✗', 'errored'],
  interrupted: ['‖', 'interrupted'],
  shutdown: ['■', 'closed'],
};

/** A status as a mark and a word (colour is only a third signal). */
export function statusBadge(status: string): HTMLElement {
  const [mark, word] = STATUS_LABELS[status] ?? ['?', status];
  return h(
    'span',
    { className: `status status-${status}`, 'data-status': status },
    h('span', { 'aria-hidden': 'true' }, mark),
    ` ${word}`,
  );
}

// One formatter for every row: toLocaleTimeString builds a new one per call, a millisecond each.
const TIME_OF_DAY = new Intl.DateTimeFormat([], {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function time(ts: string | null | undefined): string {
  if (!ts) return '-';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : TIME_OF_DAY.format(d);
}

/** A time of day, with its date when it is not today (shown as is: it does not go stale). */
export function when(ts: string | null | undefined): string {
  if (!ts) return '-';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? time(ts)
    : `${d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' })} ${time(ts)}`;
}

export function tokens(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n.toLocaleString('en');
}

export function usd(n: number): string {
  return `$${n.toFixed(n < 1 ? 4 : 2)}`;
}
