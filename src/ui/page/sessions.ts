/** The project's sessions, most recent activity first, kept current by the event stream. */
import type { SessionRow } from '../views.js';
import { enc, follow, get, type Connection } from './api.js';
import { dataTable, fill, h, when } from './dom.js';
import { notify, type Page } from './shell.js';

export function sessionsPage(setConnection: (c: Connection) => void): Page {
  const body = h('tbody', { id: 'session-rows' });
  const draw = (rows: SessionRow[]) =>
    fill(
      body,
      rows.length
        ? rows.map((s) =>
            h(
              'tr',
              { 'data-session': s.session_id },
              h('th', { scope: 'row' }, h('a', { href: `#/s/${enc(s.session_id)}` }, s.session_id)),
              h('td', {}, String(s.agents)),
              h('td', {}, String(s.open)),
              h('td', {}, String(s.running)),
              h('td', {}, s.errored ? `✗ ${s.errored}` : '0'),
              h('td', {}, String(s.messages)),
              h('td', { title: s.last_activity ?? '' }, when(s.last_activity)),
            ),
          )
        : h(
            'tr',
            {},
            h('td', { colspan: '7', className: 'empty' }, 'No sessions yet: start a team, then it shows here.'),
          ),
    );
  const load = async () => {
    const list = await get<{ sessions: SessionRow[]; cursor: number }>('/api/sessions');
    draw(list.sessions);
    return list.cursor;
  };

  let pending = false;
  let stop = () => undefined as void;
  const ready = load().then((cursor) => {
    stop = follow(
      `/api/events?since=${cursor}`,
      {
        // Any change may move a count: read the list again, once per burst of changes.
        batch: () => {
          if (pending) return;
          pending = true;
          setTimeout(() => {
            pending = false;
            load().catch(notify.error);
          }, 250);
        },
      },
      setConnection,
    );
  });
  const el = h(
    'section',
    { 'aria-labelledby': 'sessions-h' },
    h('h1', { id: 'sessions-h' }, 'Sessions'),
    dataTable(
      'sessions',
      'sessions-h',
      ['Session', 'Agents', 'Open', 'Running', 'Errored', 'Messages', 'Last activity'],
      body,
    ),
  );
  return { el, title: 'maestro', ready, close: () => stop() };
}
