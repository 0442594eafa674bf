/**
 * followup_task, interrupt_agent and close_agent: the verbs that change what a running agent
 * does. A follow-up runs in the agent's live process if this server has one, else in a new
 * process that resumes the backend's own session; a close stops the whole subtree, deepest first.
 */
import { SELF, sameProcess, terminateGroup } from '../../agents/liveness.js';
import { NO_PROCESS } from '../../agents/supervisor.js';
import { nextTurnText } from '../../agents/prompt.js';
import { removeWorktree, type WorktreeOutcome } from '../../agents/worktree.js';
import type { AgentRecord } from '../../store/records.js';
import { MaestroError } from '../../errors.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';
import { checkControl, findAgent } from './targets.js';

export interface TargetInput {
  target: string;
  session_id?: string | undefined;
}

export interface FollowupResult {
  task_name: string;
  status: string;
  turn: number;
  /** The agent was mid-turn: this task starts its next turn. */
  queued: boolean;
}

/** An agent marked running whose server is gone is not running: its turn ended with that server. */
async function reconcile(deps: AgentDeps, agent: AgentRecord): Promise<AgentRecord> {
  if (agent.status !== 'running' || deps.supervisor.owns(agent.id)) return agent;
  if (agent.owner_pid !== null && agent.owner_pid !== SELF.pid && sameProcess(agent.owner_pid, agent.owner_start))
    return agent;
  await deps.agents.endTurn(agent.id, agent.turn, {
    status: 'errored',
    error: 'its maestro server stopped during the turn',
  });
  return (await deps.agents.get(agent.id))!;
}

export async function followupTask(
  deps: AgentDeps,
  caller: Caller,
  input: TargetInput & { message: string },
): Promise<FollowupResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const agent = await reconcile(deps, await findAgent(deps, sessionId, input.target));
  checkControl(caller, agent, 'give work to');
  if (agent.status === 'shutdown')
    throw new MaestroError('conflict', `${agent.task_name} is closed; spawn a new agent`);
  if (!deps.supervisor.owns(agent.id) && (agent.status === 'running' || agent.status === 'pending_init')) {
    throw new MaestroError(
      'conflict',
      `${agent.task_name} is running under another maestro server (pid ${agent.owner_pid}); follow it up from there`,
    );
  }
  // Mail that waited for this agent goes with the task, unless the agent can take it mid-turn.
  const mail =
    deps.supervisor.owns(agent.id) && agent.status === 'running'
      ? []
      : await deps.bus.readMailbox(sessionId, agent.task_name, 100);
  const { queued, agent: after } = await deps.supervisor.runTurn(
    agent,
    nextTurnText(input.message, mail),
    input.message,
  );
  return { task_name: after.task_name, status: after.status, turn: queued ? after.turn + 1 : after.turn, queued };
}

export async function interruptAgent(
  deps: AgentDeps,
  caller: Caller,
  input: TargetInput,
): Promise<{ previous_status: string }> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const agent = await reconcile(deps, await findAgent(deps, sessionId, input.target));
  checkControl(caller, agent, 'interrupt');
  if (agent.status === 'running' && !deps.supervisor.owns(agent.id)) {
    throw new MaestroError(
      'conflict',
      `${agent.task_name} is running under another maestro server (pid ${agent.owner_pid})`,
    );
  }
  return { previous_status: await deps.supervisor.interrupt(agent) };
}

export interface CloseResult {
  previous_status: string;
  /** Every agent this close shut down: the target and its open descendants. */
  closed: string[];
  worktrees: WorktreeOutcome[];
}

export async function closeAgent(deps: AgentDeps, caller: Caller, input: TargetInput): Promise<CloseResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const target = await findAgent(deps, sessionId, input.target);
  checkControl(caller, target, 'close');
  const subtree = [...(await deps.agents.descendants(target)), target].filter((a) => a.status !== 'shutdown');
  const worktrees: WorktreeOutcome[] = [];
  for (const agent of subtree) {
    // Closed first, so that the end of its process reads as a close and not as news of a failure.
    await deps.agents.transition(agent.id, 'shutdown', `closed by ${caller.role}`);
    await stopProcess(deps, agent);
    if (agent.worktree && agent.branch) {
      worktrees.push(await removeWorktree(deps.config.projectRoot, { path: agent.worktree, branch: agent.branch }));
    }
  }
  return { previous_status: target.status, closed: subtree.map((a) => a.task_name), worktrees };
}

async function stopProcess(deps: AgentDeps, agent: AgentRecord): Promise<void> {
  // Run by another server (or left by one that is gone): signal the worker's process group.
  if (!deps.supervisor.owns(agent.id) && agent.pid !== null) {
    await terminateGroup(agent.pid, agent.pid_start, deps.config.config.limits.stop_grace_ms);
    await deps.agents.setProcess(agent.id, NO_PROCESS);
  }
  // Then everything else of the agent's, whatever group or session it is in.
  await deps.supervisor.stop(agent.id, 'closed');
}
