/**
 * The live team view of `maestro team` (and so of `maestro demo`): follows the session's event
 * feed and prints each agent's status changes, each message on the bus (milestones, blockers,
 * completions, steering, budget notices), the use of the budget as turns end, and each push of news into the lead as one line, with
 * the time since the start; with --json, each feed event as it is (the shape `maestro events
 * --json` prints). What agents wrote is shown through `visible`, so a worker's summary cannot
 * forge a line of the view or drive the terminal.
 */
import type { Message } from '../bus/message.js';
import type { FeedEvent } from '../store/feed-events.js';
import type { Store } from '../store/store.js';
import { visible } from '../ops/visible.js';
import { STATUS_MARKS, paint } from './output.js';

export interface TeamView {
  /** Prints what is new in the feed. */
  poll(): Promise<void>;
  /** A line of maestro's own (not from the feed), such as a push into the lead; JSON mode prints none. */
  note(text: string): void;
}

export interface TeamViewOptions {
  store: Store;
  sessionId: string;
  out: (line: string) => void;
  color: boolean;
  json: boolean;
  started: number;
  /** The session's budget use as one line, or null when it has none (ops/budget.ts budgetLine). */
  budget?: () => Promise<string | null>;
}

const NAME_WIDTH = 12;

export function teamView(options: TeamViewOptions): TeamView {
  const { store, sessionId, out, color, json, started } = options;
  let cursor = 0;
  let lastBudget: string | null = null;
  const clock = (ms: number) => paint(color, 'dim', `+${((ms - started) / 1000).toFixed(1).padStart(5)}s`);
  const stamp = (ts: string) => clock(Date.parse(ts));

  const printAgent = (e: Extract<FeedEvent, { type: 'agent' }>) => {
    if (e.to === 'pending_init') return;
    if (e.to === 'running' && (e.turn ?? 1) > 1) {
      out(`${stamp(e.ts)}  ${paint(color, 'blue', '▶')} ${visible(e.task_name).padEnd(NAME_WIDTH)} turn ${e.turn}`);
      return;
    }
    const [mark, style] = STATUS_MARKS[e.to];
    const what = e.to === 'running' ? `started (${e.agent_type})` : e.to === 'shutdown' ? 'closed' : e.to;
    const why = e.reason && e.to === 'errored' ? `: ${e.reason}` : '';
    out(
      `${stamp(e.ts)}  ${paint(color, style, mark)} ${visible(e.task_name).padEnd(NAME_WIDTH)} ${visible(what + why)}`,
    );
  };
  const printMessage = (m: Message) => {
    if (m.type === 'steering') {
      out(
        `${stamp(m.ts)}  ${paint(color, 'yellow', '⚑')} ${'operator'.padEnd(NAME_WIDTH)} ${paint(color, 'yellow', 'steering:')} ${visible(m.summary)}`,
      );
      return;
    }
    const style =
      m.type === 'blocker' || m.type === 'budget'
        ? 'red'
        : m.type === 'task_complete'
          ? 'green'
          : m.type === 'progress'
            ? 'cyan'
            : 'dim';
    const mark = m.type === 'blocker' || m.type === 'budget' ? '!' : m.type === 'task_complete' ? '✔' : '·';
    const who = m.to === 'coordinator' ? visible(m.from).padEnd(NAME_WIDTH) : `${visible(m.from)} → ${visible(m.to)}`;
    out(
      `${stamp(m.ts)}  ${paint(color, style, mark)} ${who} ${paint(color, style, `(${visible(m.type)})`)} ${visible(m.summary)}`,
    );
  };

  return {
    async poll() {
      // The feed is in the order things happened: status changes and messages interleave as they did.
      for (;;) {
        const page = await store.feed.read({ since: cursor, sessionId, limit: 200 });
        for (const event of page.events) {
          cursor = event.seq;
          if (json) out(JSON.stringify(event));
          else if (event.type === 'agent') printAgent(event);
          else if (event.type === 'message') printMessage(event.message);
          // Spending changes when a turn ends: the use against the budget, when it moved.
          else if (event.type === 'turn_ended' && options.budget) {
            const line = await options.budget();
            if (line && line !== lastBudget)
              out(`${stamp(event.ts)}  ${paint(color, 'yellow', '$')} ${'budget'.padEnd(NAME_WIDTH)} ${line}`);
            lastBudget = line;
          }
        }
        if (!page.has_more) break;
      }
    },
    note(text) {
      if (!json) out(`${clock(Date.now())}  ${paint(color, 'blue', '↳')} ${visible(text)}`);
    },
  };
}
