/**
 * Child process for the feed figures: one follower of the event feed, as `maestro events
 * --follow` follows it (the change notifier wakes it; it reads everything after its cursor).
 * Reports, per message that carries `data.sent_at` (a wall-clock time in ms, sub-millisecond),
 * how long after that it was read. Run with fork(): argv = [dbFile]; `stop` ends it.
 */
import { openSqliteStore } from '../../src/bus/sqlite-store.js';

export interface FollowerReport {
  latencies_ms: number[];
  events: number;
  /** CPU time this follower used while following, in ms. */
  cpu_ms: number;
  wakes: number;
}

const file = process.argv[2];
if (!file || !process.send) {
  console.error('usage: fork(feed-follower.js, [dbFile]) with an IPC channel');
  process.exit(2);
}
const store = openSqliteStore(file, { create: false });
const stop = new AbortController();
const latencies: number[] = [];
let events = 0;
let cursor = await store.feed.head();
let wakes = 0;
const cpu0 = process.cpuUsage();

process.on('message', (msg) => {
  if (msg === 'stop') stop.abort();
});
process.send({ ready: true });
while (!stop.signal.aborted) {
  for (;;) {
    const page = await store.feed.read({ since: cursor, limit: 500 });
    const at = performance.timeOrigin + performance.now();
    for (const event of page.events) {
      cursor = event.seq;
      events++;
      const sent = event.type === 'message' ? event.message.data.sent_at : undefined;
      if (typeof sent === 'number') latencies.push(at - sent);
    }
    if (!page.has_more) break;
  }
  await store.changes.next(60_000, stop.signal);
  wakes++;
}
const cpu = process.cpuUsage(cpu0);
await store.close();
process.send(
  {
    done: {
      latencies_ms: latencies,
      events,
      wakes,
      cpu_ms: (cpu.user + cpu.system) / 1000,
      user_ms: cpu.user / 1000,
      sys_ms: cpu.system / 1000,
    } as FollowerReport satisfies FollowerReport,
  },
  () => process.disconnect(),
);
