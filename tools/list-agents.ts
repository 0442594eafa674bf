/** `list_agents`: the agents of the session and what each is doing. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { listAgents, listInputSchema, listResultSchema } from '../src/ops/agents/list.js';
import { visible } from '../src/ops/visible.js';

export const listAgentsInput = listInputSchema;

export const listAgentsOutput = listResultSchema;

export function registerListAgents(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'list_agents',
    title: 'List agents',
    description:
      'The agents of the session: task name, type, backend, status, parent, depth, pid, turns, last task, latest progress message, result preview, token usage and times.',
    input: listAgentsInput,
    output: listAgentsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(input) {
      const result = await listAgents(deps.agents, deps.caller, input);
      // One line per agent; what workers wrote (errors, progress) cannot start a line (visible).
      const lines = result.agents.map((a) =>
        visible(
          `${a.task_name} ${a.status}${a.error ? ` (${a.error})` : ''} — ${a.agent_type}/${a.backend}, turn ${a.turns}` +
            `${a.parent ? `, under ${a.parent}` : ''}${a.latest_progress ? `; last progress ${a.latest_progress}` : ''}`,
        ),
      );
      return {
        structured: result,
        text: lines.length
          ? [`Agents in session ${result.session_id}:`, ...lines].join('\n')
          : `No agents in session ${result.session_id}.`,
      };
    },
  });
}
