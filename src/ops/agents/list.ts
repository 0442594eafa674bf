/** list_agents: the agents of a session (or all a person can see), with what each is doing. */
import type { AgentStatus } from '../../agents/status.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';
import { agentView, type AgentView } from './view.js';

export interface ListInput {
  session_id?: string | undefined;
  status?: AgentStatus | undefined;
  path_prefix?: string | undefined;
}

export async function listAgents(
  deps: AgentDeps,
  caller: Caller,
  input: ListInput,
): Promise<{ session_id: string; agents: AgentView[] }> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const prefix =
    input.path_prefix === undefined
      ? undefined
      : input.path_prefix.startsWith('/')
        ? input.path_prefix
        : `/${input.path_prefix}`;
  const agents = await deps.agents.list({ sessionId, status: input.status, pathPrefix: prefix });
  return { session_id: sessionId, agents: await Promise.all(agents.map((a) => agentView(deps, a))) };
}
