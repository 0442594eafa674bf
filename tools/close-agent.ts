/** `close_agent`: end an agent and its open descendants. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { closeAgent, closeResultSchema, targetInputSchema } from '../src/ops/agents/control.js';

export const closeAgentInput = targetInputSchema;
export const closeAgentOutput = closeResultSchema;

export function registerCloseAgent(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'close_agent',
    title: 'Close an agent',
    description:
      'End an agent and every open agent below it: each is asked to stop, then its whole process tree is killed after a grace period. ' +
      'Its task name becomes free. A clean worktree is removed; one with uncommitted changes is kept and its branch reported.',
    input: closeAgentInput,
    output: closeAgentOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async run(input) {
      const result = await closeAgent(deps.agents, deps.caller, input);
      const kept = result.worktrees
        .filter((w) => w.kept)
        .map((w) => ` Kept worktree ${w.path} (branch ${w.branch}): it has changes.`);
      return {
        structured: result,
        text: `Closed ${result.closed.join(', ') || input.target} (it was ${result.previous_status}).${kept.join('')}`,
      };
    },
  });
}
