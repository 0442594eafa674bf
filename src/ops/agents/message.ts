/**
 * send_message: a message for another agent (or for the parent / coordinator) that does not start
 * a turn. It is written to the bus addressed to the target, so the target can read it with
 * team_msg read_mailbox; a running Claude worker also receives it between tool calls, and any
 * worker gets undelivered mail with its next turn. For a waiting target it is news.
 */
import { z } from 'zod';
import { LIMITS } from '../../bus/message.js';
import { MaestroError } from '../../errors.js';
import type { AgentRecord } from '../../store/records.js';
import { COORDINATOR, type Caller } from '../caller.js';
import { viaRunningServer } from './control-requests.js';
import type { AgentDeps } from './deps.js';
import { agentMessageField, optionalSession, targetField } from './fields.js';
import { findAgent } from './targets.js';

export const sendInputSchema = z.strictObject({
  target: targetField.describe('The agent (task name or id), or "coordinator" / "parent" for whoever started you.'),
  message: agentMessageField.describe('The message.'),
  session_id: optionalSession,
});
export type SendInput = z.infer<typeof sendInputSchema>;

export const sendResultSchema = z.object({
  message_id: z.string().describe('Its id on the team message bus.'),
  target: z.string(),
  delivery: z
    .enum(['injected', 'queued'])
    .describe(
      'injected: handed to the running worker mid-turn; queued: it gets it at its next boundary or turn, or via read_mailbox.',
    ),
});
export type SendResult = z.infer<typeof sendResultSchema>;

/** Names that mean "the one who started me". */
const UPWARD = ['coordinator', 'parent'];

export async function sendMessage(deps: AgentDeps, caller: Caller, input: SendInput): Promise<SendResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  let recipient: { role: string; agentId: string | null };
  if (input.target === COORDINATOR.role && caller.agentId === null && caller.role !== COORDINATOR.role) {
    // A person writing to the coordinator (the dashboard, as the human overseer).
    recipient = { role: COORDINATOR.role, agentId: null };
  } else if (UPWARD.includes(input.target)) {
    const self = caller.agentId ? await deps.agents.get(caller.agentId) : null;
    if (!self && caller.role !== COORDINATOR.role)
      throw new MaestroError(
        'invalid_input',
        `you are ${caller.role}, not an agent: '${input.target}' is nobody's; name an agent or the coordinator`,
      );
    if (!self)
      throw new MaestroError('invalid_input', `you are the coordinator: '${input.target}' is yourself; name an agent`);
    const parent = self.parent_id ? await deps.agents.get(self.parent_id) : null;
    recipient = parent ? { role: parent.task_name, agentId: parent.id } : { role: 'coordinator', agentId: null };
  } else {
    const agent = await findAgent(deps, sessionId, input.target);
    if (agent.status === 'shutdown')
      throw new MaestroError('conflict', `${agent.task_name} is closed; it can receive no messages`);
    if (agent.id === caller.agentId)
      throw new MaestroError('invalid_input', 'an agent cannot send a message to itself');
    recipient = { role: agent.task_name, agentId: agent.id };
  }

  const long = input.message.length > LIMITS.summaryChars;
  // The message is news for the recipient in the same write: a wait sees both or neither.
  const message = await deps.bus.log(
    {
      session_id: sessionId,
      from: caller.role,
      to: recipient.role,
      type: 'message',
      summary: long ? `${input.message.slice(0, 200)}…` : input.message,
      data: long ? { text: input.message } : {},
      sender_agent_id: caller.agentId,
    },
    recipient.agentId ?? '',
  );

  const target = recipient.agentId ? await deps.agents.get(recipient.agentId) : null;
  return {
    message_id: message.id,
    target: recipient.role,
    delivery: target ? await deliver(deps, caller, target, message.id) : 'queued',
  };
}

/** Handed to the worker mid-turn where it can take it: by the server that runs it, wherever that is. */
async function deliver(
  deps: AgentDeps,
  caller: Caller,
  target: AgentRecord,
  messageId: string,
): Promise<SendResult['delivery']> {
  const remote = await viaRunningServer(deps, caller, target, { verb: 'send', message_id: messageId });
  if (remote) return sendResultSchema.shape.delivery.parse(remote.delivery);
  return deps.supervisor.deliverMail(target, messageId);
}
