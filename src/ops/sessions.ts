/** Whether a session exists in the project: it has agents, or messages on the bus. */
import { MaestroError } from '../errors.js';
import type { Stores } from '../store/store.js';

/** The session must exist: steering, budgeting or watching a mistyped one would reach nobody. */
export async function knownSession(stores: Stores, sessionId: string): Promise<void> {
  const sessions = await stores.messages.sessions();
  const agents = await stores.agents.list({ sessionId });
  if (agents.length > 0 || sessions.some((s) => s.session_id === sessionId)) return;
  const names = [
    ...new Set([...sessions.map((s) => s.session_id), ...(await stores.agents.list({})).map((a) => a.session_id)]),
  ];
  throw new MaestroError(
    'not_found',
    `no session ${sessionId} in this project${names.length ? `; sessions: ${names.slice(-10).join(', ')}` : ''}`,
  );
}
