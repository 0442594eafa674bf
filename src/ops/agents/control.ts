/**
 * followup_task, interrupt_agent and close_agent: the verbs that change what a running agent
 * does. A follow-up runs in the agent's live process if this server has one, else in a new
 * process that resumes the backend's own session; a close stops the whole subtree, deepest first.
 * An agent that another live server runs is controlled through that server (control-requests.ts):
 * `executeControl` is how a server carries out what another asked of it.
 */
import { z } from 'zod';
import { agentCaller } from '../../agents/identity.js';
import { ownedHere, ownerAlive, terminateGroup } from '../../agents/liveness.js';
import { NO_PROCESS } from '../../agents/supervisor.js';
import { nextTurnText } from '../../agents/prompt.js';
import { isInTurn } from '../../agents/status.js';
import { removeWorktree, worktreeOutcomeSchema, type WorktreeOutcome } from '../../agents/worktree.js';
import type { AgentRecord } from '../../store/records.js';
import { MaestroError } from '../../errors.js';
import type { ControlRequest } from '../../store/records.js';
import { checkBudget } from '../budget.js';
import type { Caller } from '../caller.js';
import { viaRunningServer } from './control-requests.js';
import type { AgentDeps } from './deps.js';
import { transcriptHere } from './transcript.js';
import { agentMessageField, optionalSession, targetField } from './fields.js';
import { checkControl, findAgent } from './targets.js';

/** What interrupt_agent and close_agent take: one agent. */
export const targetInputSchema = z.strictObject({ target: targetField, session_id: optionalSession });
export type TargetInput = z.infer<typeof targetInputSchema>;

export const followupInputSchema = z.strictObject({
  target: targetField,
  message: agentMessageField.describe('The new task.'),
  session_id: optionalSession,
});
export type FollowupInput = z.infer<typeof followupInputSchema>;

export const followupResultSchema = z.object({
  task_name: z.string(),
  status: z.string(),
  turn: z.number().describe('The turn this task runs as.'),
  queued: z.boolean().describe('The agent was mid-turn: the task starts its next turn.'),
});
export type FollowupResult = z.infer<typeof followupResultSchema>;

export const interruptResultSchema = z.object({ previous_status: z.string() });
export type InterruptResult = z.infer<typeof interruptResultSchema>;

/**
 * An agent in a turn that no live server runs is not in a turn: it ended with that server (or,
 * recorded as this server's but not running here, with a spawn that failed half-way).
 */
async function reconcile(deps: AgentDeps, agent: AgentRecord): Promise<AgentRecord> {
  if (!isInTurn(agent.status) || deps.supervisor.owns(agent.id)) return agent;
  if (!ownedHere(agent) && ownerAlive(agent)) return agent;
  await deps.agents.endTurn(agent.id, agent.turn, {
    status: 'errored',
    error: 'its maestro server stopped during the turn',
  });
  return (await deps.agents.get(agent.id))!;
}

/** A turn open under a server that takes no control requests (a maestro from before them). */
function runByOlderServer(agent: AgentRecord): MaestroError {
  return new MaestroError(
    'conflict',
    `${agent.task_name} is running under another maestro server (pid ${agent.owner_pid}) that takes no control requests (an older maestro); control it from there`,
  );
}

export async function followupTask(deps: AgentDeps, caller: Caller, input: FollowupInput): Promise<FollowupResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const agent = await findAgent(deps, sessionId, input.target);
  checkControl(caller, agent, 'give work to');
  if (agent.status === 'shutdown')
    throw new MaestroError('conflict', `${agent.task_name} is closed; spawn a new agent`);
  await checkBudget(deps, sessionId, 'followup_task');
  const remote = await viaRunningServer(deps, caller, agent, { verb: 'followup', message: input.message });
  if (remote) return followupResultSchema.parse(remote);
  return followupHere(deps, (await deps.agents.get(agent.id)) ?? agent, input.message);
}

/** A follow-up run by this server: in its live process, queued behind its turn, or in a new process. */
async function followupHere(deps: AgentDeps, found: AgentRecord, message: string): Promise<FollowupResult> {
  const agent = await reconcile(deps, found);
  if (agent.status === 'shutdown')
    throw new MaestroError('conflict', `${agent.task_name} is closed; spawn a new agent`);
  if (!deps.supervisor.owns(agent.id) && isInTurn(agent.status)) throw runByOlderServer(agent);
  // Mail that waited for this agent goes with the task, unless the agent can take it mid-turn.
  const mail =
    deps.supervisor.owns(agent.id) && isInTurn(agent.status)
      ? []
      : await deps.bus.readMailbox(agent.session_id, agent.task_name, 100);
  const { queued, agent: after } = await deps.supervisor.runTurn(agent, nextTurnText(message, mail), message);
  return { task_name: after.task_name, status: after.status, turn: queued ? after.turn + 1 : after.turn, queued };
}

export async function interruptAgent(deps: AgentDeps, caller: Caller, input: TargetInput): Promise<InterruptResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const agent = await findAgent(deps, sessionId, input.target);
  checkControl(caller, agent, 'interrupt');
  const remote = await viaRunningServer(deps, caller, agent, { verb: 'interrupt' });
  if (remote) return interruptResultSchema.parse(remote);
  return interruptHere(deps, (await deps.agents.get(agent.id)) ?? agent);
}

async function interruptHere(deps: AgentDeps, found: AgentRecord): Promise<InterruptResult> {
  const agent = await reconcile(deps, found);
  if (isInTurn(agent.status) && !deps.supervisor.owns(agent.id)) throw runByOlderServer(agent);
  return { previous_status: await deps.supervisor.interrupt(agent) };
}

/**
 * Carries out, on this server, a verb another server asked of it for an agent this one runs (or,
 * for a read, one this machine ran). The asking server checked its caller; the rule is checked
 * again here against the store: only an ancestor (or the coordinator) controls an agent, and
 * anyone in its session may message it or read its transcript.
 */
export async function executeControl(
  deps: AgentDeps,
  agent: AgentRecord,
  request: ControlRequest,
): Promise<Record<string, unknown>> {
  if (request.session_id !== agent.session_id)
    throw new MaestroError('forbidden', `${agent.task_name} is not in session ${request.session_id}`);
  const requester = request.requester_agent_id ? await deps.agents.get(request.requester_agent_id) : null;
  if (request.requester_agent_id !== null) {
    if (!requester || requester.session_id !== agent.session_id)
      throw new MaestroError('forbidden', `the requesting agent ${request.requester_agent_id} is not in this session`);
    if (request.args.verb !== 'send' && request.args.verb !== 'transcript')
      checkControl(agentCaller(requester), agent, request.args.verb);
  }
  switch (request.args.verb) {
    case 'followup':
      return followupHere(deps, agent, request.args.message);
    case 'interrupt':
      return interruptHere(deps, agent);
    case 'send':
      return { delivery: await deps.supervisor.deliverMail(agent, request.args.message_id) };
    case 'close':
      await deps.supervisor.stop(agent.id, 'closed');
      return { stopped: true };
    case 'transcript':
      return transcriptHere(deps, agent, request.args.lines);
  }
}

export const closeResultSchema = z.object({
  previous_status: z.string(),
  closed: z.array(z.string()).describe('The agents shut down: the target and its open descendants.'),
  worktrees: z.array(worktreeOutcomeSchema),
});
export type CloseResult = z.infer<typeof closeResultSchema>;

export async function closeAgent(deps: AgentDeps, caller: Caller, input: TargetInput): Promise<CloseResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const target = await findAgent(deps, sessionId, input.target);
  checkControl(caller, target, 'close');
  // The agent is closed before its tree is read: a worker it starts meanwhile is either in the
  // tree read next or refused (store/agent-store.ts, parentRefusal), never left behind.
  if (target.status !== 'shutdown') await deps.agents.transition(target.id, 'shutdown', `closed by ${caller.role}`);
  const below = (await deps.agents.descendants(target)).filter((a) => a.status !== 'shutdown');
  const subtree = target.status === 'shutdown' ? below : [...below, target];
  const worktrees: WorktreeOutcome[] = [];
  for (const agent of subtree) {
    // Closed first, so that the end of its process reads as a close and not as news of a failure.
    if (agent.id !== target.id) await deps.agents.transition(agent.id, 'shutdown', `closed by ${caller.role}`);
    await stopProcess(deps, caller, agent);
    if (agent.worktree && agent.branch) {
      worktrees.push(await removeWorktree(deps.config.projectRoot, { path: agent.worktree, branch: agent.branch }));
    }
  }
  return { previous_status: target.status, closed: subtree.map((a) => a.task_name), worktrees };
}

async function stopProcess(deps: AgentDeps, caller: Caller, agent: AgentRecord): Promise<void> {
  // Run by another live server: that server stops it, as it would on its own close.
  if (await viaRunningServer(deps, caller, agent, { verb: 'close' })) return;
  // Left by a server that is gone (or one that takes no requests): signal the worker's process group.
  if (!deps.supervisor.owns(agent.id) && agent.pid !== null) {
    await terminateGroup(agent.pid, agent.pid_start, deps.config.config.limits.stop_grace_ms);
    await deps.agents.setProcess(agent.id, NO_PROCESS);
  }
  // Then everything else of the agent's, whatever group or session it is in.
  await deps.supervisor.stop(agent.id, 'closed');
}
