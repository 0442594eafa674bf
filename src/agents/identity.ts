/**
 * Who this process acts for. A worker's own maestro server (and a `maestro` command run inside a
 * worker) is given MAESTRO_AGENT_ID and the path of a secret file written at spawn; the secret is
 * checked against the hash in the database, so identity never comes from tool arguments.
 */
import { readFileSync } from 'node:fs';
import type { AgentStore } from '../bus/agent-store.js';
import { MaestroError } from '../errors.js';
import { addSecret } from '../secrets.js';
import type { Caller } from '../ops/caller.js';

export function resolveCaller(env: NodeJS.ProcessEnv, agents: AgentStore, fallback: Caller): Caller {
  const id = env.MAESTRO_AGENT_ID;
  if (!id) return fallback;
  const file = env.MAESTRO_AGENT_SECRET_FILE;
  if (!file) throw new MaestroError('forbidden', 'MAESTRO_AGENT_ID is set but MAESTRO_AGENT_SECRET_FILE is not');
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
    addSecret(secret); // this worker's server never logs it
  } catch (error) {
    throw new MaestroError('forbidden', `cannot read the agent secret ${file}: ${(error as Error).message}`);
  }
  const agent = agents.authenticate(id, secret);
  if (!agent) throw new MaestroError('forbidden', `the secret does not match agent ${id}`);
  return {
    role: agent.task_name,
    agentId: agent.id,
    sessionId: agent.session_id,
    path: agent.path,
    depth: agent.depth,
  };
}
