/**
 * (f) The event feed: how soon a follower in another process reads a write (p50/p99), and what
 * N followers cost the writer — store.messages.log throughput from this process with 0, 4 and 16
 * followers (each its own process, woken by the change notifier at every commit) reading along.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../src/bus/sqlite-store.js';
import { BENCH_DIR, now, percentile, progressMessage, tempDir } from './common.js';
import type { FollowerReport } from './feed-follower.js';

const SESSION = 'bench-feed';
const SCRIPT = () => path.join(BENCH_DIR, 'feed-follower.js');

async function startFollowers(dbFile: string, count: number): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () =>
    fork(SCRIPT(), [dbFile], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('error', reject);
          child.once('message', () => resolve());
        }),
    ),
  );
  return children;
}

async function stopFollowers(children: ChildProcess[]): Promise<FollowerReport[]> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<FollowerReport>((resolve, reject) => {
          child.once('error', reject);
          child.on('message', (msg) => {
            const done = (msg as { done?: FollowerReport }).done;
            if (done) resolve(done);
          });
          child.send('stop');
        }),
    ),
  );
}

export interface FollowLatency {
  writes: number;
  followers: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Writes some follower never read (must be 0). */
  missed: number;
}

/** `writes` messages, one every `gapMs`, each read by `followers` processes. */
export async function followLatency(writes: number, followers: number, gapMs: number): Promise<FollowLatency> {
  const tmp = tempDir('feed-follow');
  try {
    const store = openSqliteStore(tmp.file('bus.db'));
    const children = await startFollowers(tmp.file('bus.db'), followers);
    for (let i = 0; i < writes; i++) {
      const m = progressMessage(SESSION, 1, i);
      await store.messages.log({ ...m, data: { ...m.data, sent_at: performance.timeOrigin + performance.now() } });
      await sleep(gapMs);
    }
    await sleep(200); // the last write's wake-up
    const reports = await stopFollowers(children);
    await store.close();
    const latencies = reports.flatMap((r) => r.latencies_ms);
    return {
      writes,
      followers,
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      max_ms: Math.max(...latencies),
      missed: reports.reduce((n, r) => n + Math.max(0, writes - r.latencies_ms.length), 0),
    };
  } finally {
    tmp.cleanup();
  }
}

/** store.log throughput (msg/s) from this process while `followers` processes follow the feed. */
export async function writesWithFollowers(count: number, followers: number): Promise<number> {
  const tmp = tempDir('feed-cost');
  try {
    const store = openSqliteStore(tmp.file('bus.db'));
    const children = await startFollowers(tmp.file('bus.db'), followers);
    const messages = Array.from({ length: count }, (_, i) => progressMessage(SESSION, (i % 8) + 1, i));
    const start = now();
    for (const message of messages) await store.messages.log(message);
    const ms = now() - start;
    await stopFollowers(children);
    await store.close();
    return (count / ms) * 1000;
  } finally {
    tmp.cleanup();
  }
}
