/**
 * The demo's live view: follows the project's database while the team works and prints each
 * agent's status changes and each message on the bus (milestones, blockers, completions) as
 * one line, with the time since the start. What agents wrote is shown through `visible`, so a
 * worker's summary cannot forge a line of the view or drive the terminal.
 */
import { existsSync } from 'node:fs';
import type { Message } from '../bus/message.js';
import { openSqliteStore } from '../bus/sqlite-store.js';
import type { AgentEvent } from '../store/records.js';
import type { Store } from '../store/store.js';
import { paint } from '../cli/output.js';
import { visible } from '../ops/visible.js';

const MARK: Record<string, [string, Parameters<typeof paint>[1]]> = {
  running: ['▶', 'blue'],
  completed: ['✓', 'green'],
  errored: ['✗', 'red'],
  interrupted: ['‖', 'yellow'],
  shutdown: ['■', 'dim'],
};

export interface LiveView {
  /** Looks for what is new and prints it. */
  poll(): Promise<void>;
  close(): Promise<void>;
  readonly sessions: Set<string>;
}

export function liveView(dbFile: string, out: (line: string) => void, color: boolean, started: number): LiveView {
  let store: Store | null = null;
  let lastEvent = 0;
  const cursors = new Map<string, number>();
  const sessions = new Set<string>();
  const stamp = (ts: string) => paint(color, 'dim', `+${((Date.parse(ts) - started) / 1000).toFixed(1).padStart(5)}s`);

  const printEvent = (e: AgentEvent) => {
    if (e.to_status === 'pending_init') return;
    if (e.to_status === 'running' && e.turn > 1) {
      out(`${stamp(e.ts)}  ${paint(color, 'blue', '▶')} ${visible(e.task_name).padEnd(12)} turn ${e.turn}`);
      return;
    }
    const [mark, style] = MARK[e.to_status] ?? ['·', 'dim'];
    const what =
      e.to_status === 'running' ? `started (${e.agent_type})` : e.to_status === 'shutdown' ? 'closed' : e.to_status;
    const why = e.reason && e.to_status === 'errored' ? `: ${e.reason}` : '';
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
      const { agents, messages: bus } = store;
      // Status changes and messages of one poll, in the order they happened.
      const lines: { ts: string; print: () => void }[] = [];
      for (const event of await agents.events(lastEvent)) {
        lastEvent = event.id;
        sessions.add(event.session_id);
        lines.push({ ts: event.ts, print: () => printEvent(event) });
      }
      for (const session of sessions) {
        for (;;) {
          const page = await bus.list(session, {}, { limit: 100, sinceSeq: cursors.get(session) ?? 0 });
          for (const message of page.messages) lines.push({ ts: message.ts, print: () => printMessage(message) });
          const last = page.messages.at(-1);
          if (last) cursors.set(session, Number(last.id.slice(4)));
          if (!page.has_more) break;
        }
      }
      lines.sort((a, b) => a.ts.localeCompare(b.ts)).forEach((line) => line.print());
    },
    async close() {
      await store?.close();
      store = null;
    },
  };
}
