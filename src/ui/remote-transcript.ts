/**
 * The transcript of an agent that ran on another machine, as Server-Sent Events of the same form
 * as the local stream (transcript-stream.ts): its last lines first, then every POLL_MS while the
 * page is open the lines written since, read on that machine through its maestro host
 * (ops/agents/transcript.ts). There is no file here to watch, so it polls. What stops it being
 * read (no host runs on that machine now) is said in a `note` event, and an empty note says it
 * holds no more; the reading goes on, so the lines come once a host runs there again.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { AgentDeps } from '../ops/agents/deps.js';
import { agentTranscript } from '../ops/agents/transcript.js';
import type { Caller } from '../ops/caller.js';
import { scrub } from '../secrets.js';
import type { AgentRecord } from '../store/records.js';
import { HEARTBEAT_MS, openTranscriptEvents } from './transcript-stream.js';

/** As many as the local stream starts with. */
const FIRST_LINES = 500;
/** A later read asks for this many: enough to overlap what was sent, unless the worker is very chatty. */
const POLL_LINES = 100;
const POLL_MS = 2_000;

export async function streamRemoteTranscript(
  deps: AgentDeps,
  caller: Caller,
  found: AgentRecord,
  response: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const sendLines = openTranscriptEvents(response);
  let wrote = Date.now();
  const write = (chunk: string) => {
    response.write(chunk);
    wrote = Date.now();
  };
  let seen: string[] | null = null;
  let note = '';
  while (!signal.aborted) {
    try {
      // Read again each time: the host that answers may change (one stops, another starts there).
      const agent = (await deps.agents.get(found.id)) ?? found;
      let tail = await agentTranscript(deps, caller, agent, seen?.length ? POLL_LINES : FIRST_LINES);
      let fresh = linesAfter(seen, tail);
      if (fresh === null) {
        // More was written since the last read than a poll asks for: the longer tail, then.
        tail = await agentTranscript(deps, caller, agent, FIRST_LINES);
        fresh = linesAfter(seen, tail) ?? tail;
      }
      if (fresh.length) {
        sendLines(fresh);
        wrote = Date.now();
      }
      seen = tail;
      if (note) write(`event: note\ndata: ${JSON.stringify((note = ''))}\n\n`);
    } catch (error) {
      if (signal.aborted) break;
      const message = scrub(errorMessage(error));
      if (message !== note) write(`event: note\ndata: ${JSON.stringify((note = message))}\n\n`);
    }
    if (Date.now() - wrote >= HEARTBEAT_MS) write(': still here\n\n');
    try {
      await sleep(POLL_MS, undefined, { signal });
    } catch {
      break; // the page went away
    }
  }
}

/**
 * The lines of `tail` (the file's end now) after those of `seen` (its end at the last read): all
 * of them when nothing was seen; null when the two do not meet (more came since than `tail`
 * holds). They meet where the end of `seen` is found in `tail` with the lines before it matching
 * too, so a line written twice in a row is not taken for the one before it.
 */
export function linesAfter(seen: string[] | null, tail: string[]): string[] | null {
  if (!seen?.length) return tail;
  for (let end = tail.length; end > 0; end--) {
    const n = Math.min(end, seen.length);
    let meets = true;
    for (let i = 1; i <= n && meets; i++) meets = tail[end - i] === seen[seen.length - i];
    if (meets) return tail.slice(end);
  }
  return null;
}
