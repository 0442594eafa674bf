/**
 * The current session of a top-level client (a coordinator that is not itself an agent):
 * MAESTRO_SESSION if set, else the session of its latest spawn_agent, else the session the same
 * client settled on before (kept in the store, so it outlives a server the client restarts), else
 * — for a fresh client — the one session whose team is still open, else a new one. A team is open while a top-level agent of it (spawned by the coordinator, no parent)
 * is not shut down and no other live maestro server runs it: that is the team a restarted
 * coordinator left behind. With several open teams the call fails, naming them, rather than
 * guess. A worker's session is fixed: the one it was spawned in.
 */
import { customAlphabet } from 'nanoid';
import type { AgentStore } from '../store/agent-store.js';
import type { AgentRecord } from '../store/records.js';
import { MaestroError } from '../errors.js';
import type { Caller } from '../ops/caller.js';
import { ownedHere, ownerAlive } from './liveness.js';

const suffix = customAlphabet('abcdefghijkmnpqrstuvwxyz23456789', 6);

export interface CurrentSession {
  /** The session a call acts in: the one it names, or the caller's current one. */
  resolve(caller: Caller, requested?: string): Promise<string>;
  /** Remembers the session of a top-level spawn. */
  remember(caller: Caller, sessionId: string): Promise<void>;
}

/** Where a top-level client's session is kept between its servers (the store's client_sessions). */
export interface SessionMemory {
  get(): Promise<string | null>;
  set(sessionId: string): Promise<void>;
}

const FORGETFUL: SessionMemory = { get: async () => null, set: async () => undefined };

/** A session a fresh server may take up: its open top-level agents, by task name. */
export interface OpenTeam {
  session_id: string;
  agents: string[];
}

export function newSessionId(date = new Date()): string {
  return `session-${date.toISOString().slice(0, 10).replace(/-/g, '')}-${suffix()}`;
}

/** Run by another maestro server that is still alive: that coordinator's team, not ours to take. */
function heldElsewhere(agent: AgentRecord): boolean {
  return !ownedHere(agent) && ownerAlive(agent);
}

/** Sessions with an open top-level agent and no agent held by another live server, oldest first. */
export async function openTeams(agents: AgentStore): Promise<OpenTeam[]> {
  const all = await agents.list({});
  const held = new Set(all.filter((a) => a.status !== 'shutdown' && heldElsewhere(a)).map((a) => a.session_id));
  const teams = new Map<string, string[]>();
  for (const agent of all) {
    if (agent.parent_id !== null || agent.status === 'shutdown' || held.has(agent.session_id)) continue;
    teams.set(agent.session_id, [...(teams.get(agent.session_id) ?? []), agent.task_name]);
  }
  return [...teams].map(([session_id, names]) => ({ session_id, agents: names }));
}

function severalTeams(teams: OpenTeam[]): MaestroError {
  const list = teams.map((t) => `${t.session_id} (${t.agents.join(', ')})`).join('; ');
  return new MaestroError(
    'conflict',
    `this server has no session yet and ${teams.length} sessions have open agents: ${list}. ` +
      'Pass session_id with one of them (or a new id to start a new team), or start the server with ' +
      'MAESTRO_SESSION=<id>; closing a team with `maestro agents close <task> -s <session>` leaves the other',
  );
}

export function createCurrentSession(
  env: NodeJS.ProcessEnv = process.env,
  teams: () => Promise<OpenTeam[]> = async () => [],
  memory: SessionMemory = FORGETFUL,
): CurrentSession {
  let current: string | null = env.MAESTRO_SESSION || null;
  /** What the memory holds, as far as this server knows: read once, written only when it changes. */
  let kept: string | null = null;
  let recalled = false;
  const settle = async (sessionId: string) => {
    if (current !== sessionId || kept === sessionId) return;
    kept = sessionId;
    await memory.set(sessionId);
  };
  return {
    // After each look at the teams, `current` is set only if no concurrent call has set it meanwhile.
    async resolve(caller, requested) {
      if (caller.sessionId) {
        if (requested !== undefined && requested !== caller.sessionId) {
          throw new MaestroError(
            'forbidden',
            `${caller.role} is an agent of session ${caller.sessionId} and cannot act in session ${requested}`,
          );
        }
        return caller.sessionId;
      }
      if (current === null && !recalled) {
        recalled = true;
        const remembered = await memory.get();
        kept ??= remembered;
        current ??= remembered;
      }
      if (requested !== undefined) {
        // A fresh server told which open team is its own keeps to it, as if it had spawned there.
        if (current === null && (await teams()).some((t) => t.session_id === requested)) {
          current ??= requested;
          await settle(requested);
        }
        return requested;
      }
      if (current === null) {
        const open = await teams();
        if (current === null && open.length > 1) throw severalTeams(open);
        const adopted = open[0]?.session_id;
        current ??= adopted ?? newSessionId();
        if (adopted) await settle(adopted);
      }
      return current;
    },
    async remember(caller, sessionId) {
      if (caller.sessionId) return;
      current = sessionId;
      await settle(sessionId);
    },
  };
}
