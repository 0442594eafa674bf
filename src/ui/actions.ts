/**
 * What the person at the dashboard can do, as the human overseer: each action is the operation
 * the MCP tool or the CLI runs (send_message, followup_task, interrupt_agent, close_agent,
 * `maestro steer`), with the same validation and errors, and the person (`user`) as its caller —
 * so it is the sender on the bus. A body is checked against its schema before anything runs;
 * closing needs the agent's task name typed back, the page's confirmation.
 */
import { z } from 'zod';
import { MaestroError } from '../errors.js';
import { closeAgent, followupTask, interruptAgent } from '../ops/agents/control.js';
import type { AgentDeps } from '../ops/agents/deps.js';
import { agentMessageField, targetField } from '../ops/agents/fields.js';
import { sendMessage } from '../ops/agents/message.js';
import type { Caller } from '../ops/caller.js';
import { clearSteering, giveSteering } from '../ops/steering.js';
import { agentIn } from './views.js';

interface Action<B extends z.ZodType> {
  body: B;
  /** `agentId`: the agent the URL names, for the agent actions. */
  run(deps: AgentDeps, caller: Caller, sessionId: string, body: z.infer<B>, agentId: string | null): Promise<unknown>;
}

const action = <B extends z.ZodType>(a: Action<B>) => a;

const target = async (deps: AgentDeps, sessionId: string, agentId: string | null) => {
  if (agentId === null) throw new MaestroError('invalid_input', 'this action is for an agent: name one in the URL');
  return agentIn(deps, sessionId, agentId);
};

export const SESSION_ACTIONS = {
  send: action({
    body: z.strictObject({
      to: targetField.describe('An agent (task name or id), or "coordinator".'),
      message: agentMessageField,
    }),
    run: (deps, caller, sessionId, body) =>
      sendMessage(deps, caller, { target: body.to, message: body.message, session_id: sessionId }),
  }),
  steer: action({
    body: z.strictObject({ text: z.string({ error: 'expected the directive as a string' }) }),
    run: async (deps, caller, sessionId, body) => ({
      directive: await giveSteering(deps.store, caller, sessionId, body.text),
    }),
  }),
  clear_steering: action({
    body: z.strictObject({
      id: z.number({ error: 'expected a directive id (a number), or none to clear all' }).int().positive().optional(),
    }),
    run: async (deps, caller, sessionId, body) => ({
      cleared: await clearSteering(deps.store, caller, sessionId, body.id),
    }),
  }),
} as const;

export const AGENT_ACTIONS = {
  followup: action({
    body: z.strictObject({ message: agentMessageField }),
    run: async (deps, caller, sessionId, body, agentId) => {
      const agent = await target(deps, sessionId, agentId);
      return followupTask(deps, caller, { target: agent.id, message: body.message, session_id: sessionId });
    },
  }),
  interrupt: action({
    body: z.strictObject({}),
    run: async (deps, caller, sessionId, _body, agentId) => {
      const agent = await target(deps, sessionId, agentId);
      return interruptAgent(deps, caller, { target: agent.id, session_id: sessionId });
    },
  }),
  close: action({
    body: z.strictObject({ confirm: z.string({ error: "expected the agent's task name, to confirm" }) }),
    run: async (deps, caller, sessionId, body, agentId) => {
      const agent = await target(deps, sessionId, agentId);
      if (body.confirm !== agent.task_name)
        throw new MaestroError(
          'invalid_input',
          `closing ${agent.task_name} stops it and every agent below it: confirm with its task name (${agent.task_name}), not '${body.confirm}'`,
        );
      return closeAgent(deps, caller, { target: agent.id, session_id: sessionId });
    },
  }),
} as const;

export type SessionActionName = keyof typeof SESSION_ACTIONS;
export type AgentActionName = keyof typeof AGENT_ACTIONS;

/** The body checked against the action's schema; the first problem named with its field. */
export function checkBody<B extends z.ZodType>(schema: B, raw: unknown): z.infer<B> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new MaestroError('invalid_input', `${field}${issue.message}`);
}
