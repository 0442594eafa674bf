/**
 * An agent's transcript followed live as Server-Sent Events: the last lines first, then every
 * line as the supervisor appends it. The file is watched (inotify, not a timer), and read again
 * at each change of the store as well, since a worker's output and its records move together;
 * a rotation (transcript.ts keeps one previous file) starts the new file from its beginning.
 * Lines were scrubbed of known secrets when written, and are scrubbed again with this process's.
 */
import { closeSync, existsSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { readTranscriptTail } from '../agents/transcript.js';
import type { Store } from '../store/store.js';
import { scrub } from '../secrets.js';

const FIRST_LINES = 500;
export const HEARTBEAT_MS = 15_000;

/**
 * Opens `response` as a transcript's event stream, local or read on another machine: what it
 * returns sends `lines` events, each line scrubbed of this process's known secrets.
 */
export function openTranscriptEvents(response: ServerResponse): (lines: string[]) => void {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  return (lines) => {
    if (lines.length) response.write(`event: lines\ndata: ${JSON.stringify(lines.map((l) => scrub(l)))}\n\n`);
  };
}
const MAX_READ = 1024 * 1024;

export async function streamTranscript(
  store: Store,
  agentDir: string,
  response: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const file = path.join(agentDir, 'transcript.log');
  const send = openTranscriptEvents(response);
  let offset = existsSync(file) ? statSync(file).size : 0;
  let partial = '';
  send(readTranscriptTail(agentDir, FIRST_LINES));

  const readNew = () => {
    for (;;) {
      if (!existsSync(file)) return;
      const size = statSync(file).size;
      if (size < offset) ((offset = 0), (partial = '')); // rotated: the new file from its start
      if (size === offset) return;
      readChunk(size);
    }
  };
  const readChunk = (size: number) => {
    const length = Math.min(size - offset, MAX_READ);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, offset);
    } finally {
      closeSync(fd);
    }
    offset += length;
    const text = partial + buffer.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    send(lines.filter(Boolean));
  };

  let wake: (() => void) | null = null;
  const poke = () => wake?.();
  let watcher: FSWatcher | null = null;
  // The directory appears with the agent's first output: until then store changes wake the reader.
  const watchDir = () => {
    if (watcher || !existsSync(agentDir)) return;
    try {
      watcher = watch(agentDir, poke);
    } catch {
      watcher = null;
    }
  };
  watchDir();
  const unsubscribe = store.changes.subscribe(poke);
  signal.addEventListener('abort', poke, { once: true });
  try {
    while (!signal.aborted) {
      const woken = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), HEARTBEAT_MS);
        wake = () => (clearTimeout(timer), resolve(true));
      });
      watchDir();
      readNew();
      if (!(await woken)) response.write(': still here\n\n');
    }
  } finally {
    unsubscribe();
    (watcher as FSWatcher | null)?.close();
  }
}
