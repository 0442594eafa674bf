/** The words maestro puts in front of a worker: who it is, where it reports, and mail it received. */
import type { Message } from '../bus/message.js';
import type { AgentRecord } from '../store/records.js';
import { STEERING_TYPE } from '../store/steering-store.js';

const BUILT_IN_INSTRUCTIONS = `You are a worker agent in a team run by maestro. Do the task you are given and nothing else.
Report milestones on the team message bus with the maestro-tools team_msg tool (operation "log", type "progress"; type "blocker" at once if you are stuck).
When the task is done, call report_agent_job_result exactly once with your result, then log type "task_complete".`;

/**
 * The brief of a team's lead: the agent of depth 0 that `maestro team` runs. maestro starts its
 * turns with the news a wait would return, so it need not block in wait_agent.
 */
const LEAD_INSTRUCTIONS = `You are the lead of a team of worker agents that maestro runs for a person at a terminal (maestro team).
You are the coordinator of the team-coordinate skill: follow it, with the maestro-tools MCP tools. Do not do the workers' work yourself.
maestro runs you. When a worker finishes a turn or sends you a message, or the operator steers, maestro starts a new turn of yours with that news: exactly what wait_agent would have returned, and a piece of news comes either way, never both. So once your workers are running you may end your turn instead of waiting.
Lines that start with [OPERATOR STEERING] come from the person running the team: follow them; each stays in force until it is cleared.
When the requirement is done, close every agent and end your turn with the final report (what was done, by whom, what is left): it is what the person reads.`;

/** Role instructions for the system prompt: the agent type's file, or the built-in brief (a lead's at depth 0). */
export function systemInstructions(agent: AgentRecord, roleInstructions: string | null, parentName: string): string {
  return [
    roleInstructions?.trim() || (agent.depth === 0 ? LEAD_INSTRUCTIONS : BUILT_IN_INSTRUCTIONS),
    '',
    `Your identity: task name ${agent.task_name}, agent type ${agent.agent_type}, team session ${agent.session_id}, started by ${parentName}.`,
    `Use session_id "${agent.session_id}" in team_msg calls; messages you log are sent as ${agent.task_name}.`,
  ].join('\n');
}

/** The first turn: identity in a line, the operator's directives in force, then the task as the spawner wrote it. */
export function firstTurnText(
  agent: AgentRecord,
  parentName: string,
  task: string,
  steering: readonly string[] = [],
): string {
  return [
    `[maestro] You are ${agent.task_name} (${agent.agent_type}) in team session ${agent.session_id}, started by ${parentName}.`,
    ...steering,
    '',
    task,
  ].join('\n');
}

/** How the operator's directives read wherever they are handed over (ops/steering.ts). */
export const STEERING_PREFIX = '[OPERATOR STEERING]';

export function mailText(messages: readonly Message[]): string {
  // The operator's directives stand on their own lines, as the prefix the lead and workers are told to obey.
  const steering = messages.filter((m) => m.type === STEERING_TYPE).map((m) => `${STEERING_PREFIX} ${m.summary}`);
  const lines = messages
    .filter((m) => m.type !== STEERING_TYPE)
    .map((m) => {
      const data = Object.keys(m.data).length ? ` ${JSON.stringify(m.data)}` : '';
      return `- ${m.id} from ${m.from}: ${m.summary}${data}`;
    });
  const mail = lines.length ? [`[maestro] Message${lines.length > 1 ? 's' : ''} for you:`, ...lines] : [];
  return [...steering, ...mail].join('\n');
}

/** A follow-up turn: mail that arrived while the agent was idle, then the new task. */
export function nextTurnText(task: string, mail: readonly Message[]): string {
  return mail.length ? `${mailText(mail)}\n\n${task}` : task;
}
