/**
 * The dashboard's page: a header with where you are and whether the live stream is up, and one
 * view at a time chosen by the address's fragment — #/ the sessions, #/s/<session> a session,
 * #/s/<session>/a/<agent> an agent. Views are plain DOM (dom.ts), fed by the server's API and
 * its event stream; nothing polls.
 */
import { TOKEN, type Connection } from './api.js';
import { agentPage } from './agent.js';
import { fill, h } from './dom.js';
import { sessionPage } from './session.js';
import { sessionsPage } from './sessions.js';
import { alertLine, notify, statusLine, type Page } from './shell.js';

const CONNECTION_TEXT: Record<Connection, string> = {
  live: '● live',
  reconnecting: '○ reconnecting…',
  closed: '✗ disconnected: is maestro ui still running? Open the address it printed again',
};

const connection = h('span', { id: 'connection', role: 'status', 'aria-live': 'polite' });
const setConnection = (state: Connection) => {
  connection.textContent = CONNECTION_TEXT[state];
  connection.dataset.state = state;
};
const main = h('main', { id: 'main', tabindex: '-1' });
const nav = h('nav', { 'aria-label': 'Where you are' });

document.body.append(
  h('a', { href: '#main', className: 'skip' }, 'Skip to content'),
  h('header', {}, h('a', { href: '#/', className: 'brand' }, 'maestro'), nav, connection),
  h('div', { className: 'messages' }, statusLine, alertLine),
  main,
);

let current: Page | null = null;

function route(): void {
  current?.close();
  delete document.body.dataset.ready;
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  let page: Page;
  const crumbs: HTMLElement[] = [h('a', { href: '#/' }, 'Sessions')];
  if (parts[0] === 's' && parts[1] && parts[2] === 'a' && parts[3]) {
    const name = h('span', {}, parts[3]);
    crumbs.push(h('a', { href: `#/s/${encodeURIComponent(parts[1])}` }, parts[1]), name);
    const session = parts[1];
    page = agentPage(session, parts[3], setConnection, (taskName) => {
      name.textContent = taskName;
      document.title = `${taskName} · ${session} · maestro`;
    });
  } else if (parts[0] === 's' && parts[1]) {
    crumbs.push(h('span', {}, parts[1]));
    page = sessionPage(parts[1], setConnection);
  } else {
    page = sessionsPage(setConnection);
  }
  current = page;
  fill(
    nav,
    crumbs.flatMap((c, i) => (i ? [h('span', { 'aria-hidden': 'true' }, ' / '), c] : [c])),
  );
  document.title = page.title;
  fill(main, page.el);
  page.ready.then(
    () => {
      if (current !== page) return;
      document.body.dataset.ready = 'true';
      performance.mark('maestro:ready');
    },
    (error: unknown) => notify.error(error),
  );
}

if (!TOKEN) {
  fill(main, h('p', { role: 'alert' }, 'This address has no access token: open the one maestro ui printed.'));
} else {
  window.addEventListener('hashchange', route);
  route();
}
