/** `send_message`: a message for another agent, without starting a turn. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { sendInputSchema, sendMessage, sendResultSchema } from '../src/ops/agents/message.js';

export const sendMessageInput = sendInputSchema;

export const sendMessageOutput = sendResultSchema;

export function registerSendMessage(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'send_message',
    title: 'Message an agent',
    description:
      'Send a message to another agent of the session without starting a turn. A running Claude Code worker receives it between tool calls; ' +
      'otherwise it arrives with the agent’s next turn, and the agent can read it any time with team_msg read_mailbox. ' +
      'A message to a waiting agent (or to "coordinator") ends its wait_agent.',
    input: sendMessageInput,
    output: sendMessageOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async run(input) {
      const result = await sendMessage(deps.agents, deps.caller, input);
      return {
        structured: result,
        text: `${result.message_id} to ${result.target}: ${result.delivery === 'injected' ? 'delivered into its running turn' : 'queued for its next boundary or turn'}.`,
      };
    },
  });
}
