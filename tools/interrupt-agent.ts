/** `interrupt_agent`: stop an agent's current turn; the agent stays open. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { interruptAgent, interruptResultSchema, targetInputSchema } from '../src/ops/agents/control.js';

export const interruptAgentInput = targetInputSchema;
export const interruptAgentOutput = interruptResultSchema;

export function registerInterruptAgent(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'interrupt_agent',
    title: 'Interrupt an agent',
    description:
      'Stop the agent’s current turn. The agent stays open (status interrupted) and can take a followup_task.',
    input: interruptAgentInput,
    output: interruptAgentOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async run(input) {
      const result = await interruptAgent(deps.agents, deps.caller, input);
      return { structured: result, text: `Interrupted ${input.target} (it was ${result.previous_status}).` };
    },
  });
}
