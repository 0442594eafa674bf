/**
 * `maestro msg tail`: print the newest messages, then follow the bus with a `since` cursor —
 * woken by the store's change notifier, not a timer of its own — and print each new message
 * once, in order, until interrupted. The cursor starts at the session's
 * last assigned id read *before* the backlog query, so a message committed meanwhile is printed
 * by the follow loop and never twice.
 */
import type { Message } from '../bus/message.js';
import { formatMessageId, sequenceOf } from '../bus/message.js';
import type { Store } from '../store/store.js';
import { SHELL_USER } from '../ops/caller.js';
import { formatLine } from '../ops/format.js';
import { visible } from '../ops/visible.js';
import { runTeamMsg } from '../ops/team-msg.js';
import type { Call } from './msg-commands.js';
import type { Io } from './msg.js';
import { STREAM_WIDTHS, messagePainter } from './output.js';

/** A follower with nothing to print still looks this often, in case a change notice is missed. */
const QUIET_RECHECK_MS = 60_000;

export async function follow(store: Store, call: Call, io: Io, json: boolean): Promise<number> {
  const bus = store.messages;
  const { input, options } = call;
  const widths = { ...STREAM_WIDTHS };
  const painter = messagePainter(io.color);
  const print = (message: Message) => {
    if (json) return io.out(JSON.stringify(message));
    widths.from = Math.max(widths.from, visible(message.from).length);
    widths.to = Math.max(widths.to, visible(message.to).length);
    widths.type = Math.max(widths.type, visible(message.type).length + 2);
    io.out(formatLine(message, { utc: false, widths, ...(painter ? { paint: painter } : {}) }));
  };

  let cursor = await bus.lastSeq(input.session_id);
  const backlog = (await runTeamMsg(bus, input, SHELL_USER, options)).messages ?? [];
  for (const message of backlog) if (sequenceOf(message.id) <= cursor) print(message);

  const stopped = new AbortController();
  const stop = () => stopped.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped.signal.aborted) {
      const page = await runTeamMsg(bus, { ...input, since: formatMessageId(cursor), last: 100 }, SHELL_USER, options);
      for (const message of page.messages ?? []) print(message);
      if (page.next_since) cursor = sequenceOf(page.next_since);
      if (!page.has_more) await store.changes.next(QUIET_RECHECK_MS, stopped.signal);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
