/**
 * The demo's live view: follows the project's database while the team works and prints each
 * agent's status changes and each message on the bus (milestones, blockers, completions) as
 * one line, with the time since the start. What agents wrote is shown through `visible`, so a
 * worker's summary cannot forge a line of the view or drive the terminal.
 */
import { existsSync } from 'node:fs';
import type { Message } from '../bus/message.js';
import { openSqliteStore } from '../bus/sqlite-store.js';
import type { FeedEvent } from '../store/feed-events.js';
import type { Store } from '../store/store.js';
import { STATUS_MARKS, paint } from '../cli/output.js';
import { visible } from '../ops/visible.js';

export interface LiveView {
  /** Looks for what is new and prints it. */
  poll(): Promise<void>;
  /**
   * Resolves at the next change of the database (or after `ms`, or once `signal` aborts); before
   * the team's first server has made the database, after `ms`.
   */
  changed(ms: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  readonly sessions: Set<string>;
}

export function liveView(dbFile: string, out: (line: string) => void, color: boolean, started: number): LiveView {
  let store: Store | null = null;
  let cursor = 0;
  const sessions = new Set<string>();
  const stamp = (ts: string) => paint(color, 'dim', `+${((Date.parse(ts) - started) / 1000).toFixed(1).padStart(5)}s`);

  const printEvent = (e: Extract<FeedEvent, { type: 'agent' }>) => {
    if (e.to === 'pending_init') return;
    if (e.to === 'running' && (e.turn ?? 1) > 1) {
      out(`${stamp(e.ts)}  ${paint(color, 'blue', '▶')} ${visible(e.task_name).padEnd(12)} turn ${e.turn}`);
      return;
    }
    const [mark, style] = STATUS_MARKS[e.to];
    const what = e.to === 'running' ? `started (${e.agent_type})` : e.to === 'shutdown' ? 'closed' : e.to;
    const why = e.reason && e.to === 'errored' ? `: ${e.reason}` : '';
    out(`${stamp(e.ts)}  ${paint(color, style, mark)} ${visible(e.task_name).padEnd(12)} ${visible(what + why)}`);
  };
  const printMessage = (m: Message) => {
    const style =
      m.type === 'blocker' ? 'red' : m.type === 'task_complete' ? 'green' : m.type === 'progress' ? 'cyan' : 'dim';
    const mark = m.type === 'blocker' ? '!' : m.type === 'task_complete' ? '✔' : '·';
    const who = m.to === 'coordinator' ? visible(m.from).padEnd(12) : `${visible(m.from)} → ${visible(m.to)}`;
    out(
      `${stamp(m.ts)}  ${paint(color, style, mark)} ${who} ${paint(color, style, `(${visible(m.type)})`)} ${visible(m.summary)}`,
    );
  };

  return {
    sessions,
    async poll() {
      if (!store) {
        if (!existsSync(dbFile)) return;
        store = openSqliteStore(dbFile);
      }
      // The feed is in the order things happened: status changes and messages interleave as they did.
      for (;;) {
        const page = await store.feed.read({ since: cursor, limit: 200 });
        for (const event of page.events) {
          cursor = event.seq;
          sessions.add(event.session_id);
          if (event.type === 'agent') printEvent(event);
          else if (event.type === 'message') printMessage(event.message);
        }
        if (!page.has_more) break;
      }
    },
    async changed(ms, signal) {
      if (store) return store.changes.next(ms, signal);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    },
    async close() {
      await store?.close();
      store = null;
    },
  };
}
