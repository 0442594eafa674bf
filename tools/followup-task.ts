/** `followup_task`: give an agent new work. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { followupInputSchema, followupResultSchema, followupTask } from '../src/ops/agents/control.js';

export const followupTaskInput = followupInputSchema;

export const followupTaskOutput = followupResultSchema;

export function registerFollowupTask(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'followup_task',
    title: 'Give an agent new work',
    description:
      'Give an open agent a new task. An idle, completed, errored or interrupted agent starts a new turn now (in the same conversation: ' +
      'a worker whose process has gone is resumed from its own session); a running agent takes it as its next turn.',
    input: followupTaskInput,
    output: followupTaskOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async run(input) {
      const result = await followupTask(deps.agents, deps.caller, input);
      return {
        structured: result,
        text: result.queued
          ? `${result.task_name} is mid-turn; the task will start turn ${result.turn}.`
          : `${result.task_name} started turn ${result.turn}: ${result.status}.`,
      };
    },
  });
}
