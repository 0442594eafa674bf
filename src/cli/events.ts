/**
 * `maestro events`: the project's event feed from a shell — every message, status change, turn,
 * result and queued follow-up, in the order they happened, one line each (or one JSON object per
 * line with --json). With --follow it keeps printing as things happen, woken by the database's
 * change notifier rather than a timer of its own; each event is printed once, in feed order.
 */
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { FEED_EVENT_TYPES, checkEventTypes, type FeedEvent, type FeedEventType } from '../store/feed-events.js';
import { resolveDbPath } from '../bus/paths.js';
import { fromSqliteError } from '../bus/storage-errors.js';
import { clockTime, formatLine } from '../ops/format.js';
import { sessionIdField } from '../ops/fields.js';
import { visible } from '../ops/visible.js';
import { UsageError, flag, int, parse, str, strs } from './args.js';
import { STATUS_MARKS, paint, useColor } from './output.js';

const HELP = `Usage: maestro events [-s <session>] [--since N | --last N] [--follow] [--type T]... [--json]

The project's event feed: messages, agent status changes, turns started and
ended, reported results and queued follow-ups, in the order they happened.
Each event has a number (its place in the feed); --since N prints what came
after event N, so a script can pick up where it left off.

Options:
  -s, --session <id>   Only this session (default: $MAESTRO_SESSION, else every session)
      --since <N>      Events after event N (default: the last 20)
      --last <N>       The newest N events (default 20)
  -f, --follow         Keep printing events as they happen (Ctrl-C to stop)
  -t, --type <T>       Only events of this type (repeatable or comma-separated):
                       ${FEED_EVENT_TYPES.join(', ')}
      --json           One JSON object per line
      --db <file>      Database (default: $MAESTRO_DB, else <git top-level>/.maestro/maestro.db)
  -h, --help           Show this help`;

const OPTIONS = {
  session: { type: 'string', short: 's' },
  since: { type: 'string' },
  last: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  type: { type: 'string', short: 't', multiple: true },
  json: { type: 'boolean' },
  db: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CMD = 'maestro events';
const DEFAULT_LAST = 20;
const PAGE = 500;
/** A follower with nothing to print still looks this often, in case a change notice is missed. */
const QUIET_RECHECK_MS = 60_000;

export async function runEvents(argv: string[]): Promise<number> {
  const parsed = parse(CMD, argv, OPTIONS, false);
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const json = flag(parsed, 'json');
  const session = str(parsed, 'session') ?? (process.env.MAESTRO_SESSION || undefined);
  if (session !== undefined) {
    const check = sessionIdField.safeParse(session);
    if (!check.success) throw new UsageError(`${CMD}: --session '${session}': ${check.error.issues[0]?.message}`);
  }
  const since = int(CMD, parsed, 'since');
  const last = int(CMD, parsed, 'last');
  if (since !== undefined && last !== undefined) throw new UsageError(`${CMD}: --since and --last are alternatives`);
  if (last === 0) throw new UsageError(`${CMD}: --last expects at least 1`);
  let types: FeedEventType[];
  try {
    types = checkEventTypes(strs(parsed, 'type').flatMap((t) => t.split(',').map((p) => p.trim())));
  } catch (error) {
    throw new UsageError(`${CMD}: ${(error as Error).message}`);
  }

  const out = (line: string) => process.stdout.write(`${line}\n`);
  const color = useColor() && !json;
  const print = json
    ? (e: FeedEvent) => out(JSON.stringify(e))
    : (e: FeedEvent) => out(eventLine(e, color, session === undefined));
  const filter = { sessionId: session, types };

  const file = resolveDbPath({ db: str(parsed, 'db') }).file;
  const store = await openStore(file, { create: false });
  try {
    let cursor: number;
    if (since !== undefined) {
      cursor = await printAfter(store, { ...filter, since }, print);
    } else {
      // The head is read before the backlog: an event committed in between is printed by the follow loop, once.
      const head = await store.feed.head();
      const backlog = (await store.feed.latest(filter, last ?? DEFAULT_LAST)).filter((e) => e.seq <= head);
      backlog.forEach(print);
      cursor = head;
    }
    if (flag(parsed, 'follow')) await follow(store, { ...filter, since: cursor }, print);
  } catch (error) {
    throw fromSqliteError(file, error);
  } finally {
    await store.close();
  }
  return 0;
}

/** Prints every matching event after `filter.since`; returns the last one printed (or `since`). */
async function printAfter(
  store: Store,
  filter: { since: number; sessionId: string | undefined; types: FeedEventType[] },
  print: (e: FeedEvent) => void,
): Promise<number> {
  let cursor = filter.since;
  for (;;) {
    const page = await store.feed.read({ ...filter, since: cursor, limit: PAGE });
    for (const event of page.events) {
      print(event);
      cursor = event.seq;
    }
    if (!page.has_more) return cursor;
  }
}

async function follow(
  store: Store,
  filter: { since: number; sessionId: string | undefined; types: FeedEventType[] },
  print: (e: FeedEvent) => void,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Matching or not, every event read moves the cursor: the head is where the next read starts.
    let cursor = Math.max(filter.since, 0);
    while (!stop.signal.aborted) {
      const head = await store.feed.head();
      cursor = Math.max(await printAfter(store, { ...filter, since: cursor }, print), head);
      await store.changes.next(QUIET_RECHECK_MS, stop.signal);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One event as a line: `   42 12:03:04 agent           ✓ IMPL-001 running → completed [session]`. */
export function eventLine(event: FeedEvent, color: boolean, withSession: boolean): string {
  const head = `${String(event.seq).padStart(5)} ${visible(clockTime(event.ts, false))} ${paint(color, 'dim', event.type.padEnd(15))}`;
  const session = withSession ? ` ${paint(color, 'dim', `[${visible(event.session_id)}]`)}` : '';
  return `${head} ${describe(event, color)}${session}`;
}

function describe(event: FeedEvent, color: boolean): string {
  switch (event.type) {
    case 'message':
      return formatLine(event.message, { utc: false }).replace(/^(\S+) \S+ /, '$1 ');
    case 'agent': {
      const [mark, style] = STATUS_MARKS[event.to];
      const why = event.reason ? `: ${visible(event.reason)}` : '';
      const from = event.from ? `${event.from} → ` : `spawned (${visible(event.agent_type)}) → `;
      return `${paint(color, style, mark)} ${visible(event.task_name)} ${from}${event.to}${why}`;
    }
    case 'turn_started':
      return `${visible(event.task_name)} turn ${event.turn} started: ${visible(firstLine(event.task))}`;
    case 'turn_ended': {
      const [mark, style] = STATUS_MARKS[event.status];
      const usage = event.usage
        ? ` (${(event.usage.input_tokens + event.usage.output_tokens).toLocaleString('en')} tokens, $${event.usage.cost_usd.toFixed(4)})`
        : '';
      const why = event.error ? `: ${visible(event.error)}` : '';
      return `${paint(color, style, mark)} ${visible(event.task_name)} turn ${event.turn} ${event.status}${why}${usage}`;
    }
    case 'result':
      return `${visible(event.task_name)} reported the result of turn ${event.turn}`;
    case 'followup_queued':
      return `${visible(event.task_name)} follow-up queued after turn ${event.turn}: ${visible(firstLine(event.task))}`;
    case 'followup_dropped':
      return `${visible(event.task_name)} ${event.count} queued follow-up${event.count === 1 ? '' : 's'} dropped: ${visible(event.reason)}`;
    case 'control_requested':
      return `${visible(event.task_name)} ${event.verb} asked of the server running it, by ${visible(event.requested_by)} (request ${event.request})`;
    case 'control_done': {
      const why = event.error ? `: ${visible(event.error)}` : '';
      return `${visible(event.task_name)} ${event.verb} ${event.state} (request ${event.request})${why}`;
    }
  }
}

function firstLine(text: string): string {
  const [first = '', ...rest] = text.split('\n');
  return rest.length ? `${first} …` : first;
}
