/**
 * Control requests, as every engine must provide them: how a server asks the server that runs an
 * agent (another live process, later another machine) to follow it up, interrupt it, hand it a
 * message or close it. A request moves pending → taken → done | failed, or pending → expired when
 * the asker stops waiting before anyone took it; each move is a compare-and-swap, so a request is
 * carried out at most once and an expired one never. The asking and the outcome of a verb that
 * acts on the agent are events in the feed, written with them; a read (a transcript's end) is not
 * news, leaves no event, and is discarded once its asker has the answer.
 */
import type { ControlOutcome, ControlRequest, NewControlRequest } from './records.js';

export interface ControlStore {
  request(request: NewControlRequest): Promise<ControlRequest>;
  get(id: number): Promise<ControlRequest | null>;
  /** The pending requests addressed to server instance `server`, oldest first. */
  pending(server: string): Promise<ControlRequest[]>;
  /** pending → taken: whether this caller took it (and so must finish it). */
  take(id: number): Promise<boolean>;
  /** taken → done (ok) or failed, with the outcome. */
  finish(id: number, outcome: ControlOutcome): Promise<void>;
  /** pending → expired: whether it expired (false: it was taken meanwhile). */
  expire(id: number, reason: string): Promise<boolean>;
  /** Deletes a finished read (done or failed): its outcome was for its asker only. Others are kept. */
  discard(id: number): Promise<void>;
}
