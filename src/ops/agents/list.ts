/** list_agents: the agents of a session (or all a person can see), with what each is doing. */
import { z } from 'zod';
import { budgetViewSchema, sessionBudget } from '../budget.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';
import { optionalSession, statusField } from './fields.js';
import { agentView, agentViewSchema } from './view.js';

export const listInputSchema = z.strictObject({
  session_id: optionalSession,
  status: statusField.optional().describe('Only agents in this status.'),
  path_prefix: z.string().min(1).max(1000).optional().describe('Only agents under this path, e.g. /IMPL-001.'),
});
export type ListInput = z.infer<typeof listInputSchema>;

export const listResultSchema = z.object({
  session_id: z.string(),
  agents: z.array(agentViewSchema),
  budget: budgetViewSchema.optional().describe("The session's budget and what is used of it, when it has one."),
});
export type ListResult = z.infer<typeof listResultSchema>;

export async function listAgents(deps: AgentDeps, caller: Caller, input: ListInput): Promise<ListResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const prefix =
    input.path_prefix === undefined
      ? undefined
      : input.path_prefix.startsWith('/')
        ? input.path_prefix
        : `/${input.path_prefix}`;
  const agents = await deps.agents.list({ sessionId, status: input.status, pathPrefix: prefix });
  const budget = await sessionBudget(deps, sessionId);
  return {
    session_id: sessionId,
    agents: await Promise.all(agents.map((a) => agentView(deps, a))),
    ...(budget ? { budget } : {}),
  };
}
