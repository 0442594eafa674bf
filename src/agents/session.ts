/**
 * The current session of a top-level client (a coordinator that is not itself an agent):
 * MAESTRO_SESSION if set, else the session of its latest spawn_agent, else one made for it.
 * A worker's session is fixed: the one it was spawned in.
 */
import { customAlphabet } from 'nanoid';
import { MaestroError } from '../errors.js';
import type { Caller } from '../ops/caller.js';

const suffix = customAlphabet('abcdefghijkmnpqrstuvwxyz23456789', 6);

export interface CurrentSession {
  /** The session a call acts in: the one it names, or the caller's current one. */
  resolve(caller: Caller, requested?: string): string;
  /** Remembers the session of a top-level spawn. */
  remember(caller: Caller, sessionId: string): void;
}

export function newSessionId(date = new Date()): string {
  return `session-${date.toISOString().slice(0, 10).replace(/-/g, '')}-${suffix()}`;
}

export function createCurrentSession(env: NodeJS.ProcessEnv = process.env): CurrentSession {
  let current: string | null = env.MAESTRO_SESSION || null;
  return {
    resolve(caller, requested) {
      if (caller.sessionId) {
        if (requested !== undefined && requested !== caller.sessionId) {
          throw new MaestroError(
            'forbidden',
            `${caller.role} is an agent of session ${caller.sessionId} and cannot act in session ${requested}`,
          );
        }
        return caller.sessionId;
      }
      if (requested !== undefined) return requested;
      current ??= newSessionId();
      return current;
    },
    remember(caller, sessionId) {
      if (!caller.sessionId) current = sessionId;
    },
  };
}
