/**
 * The `maestro-tools` MCP server: the SDK's high-level server with every tool registered.
 * Built from its dependencies so tests and the stdio entry each assemble their own.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerTeamMsg } from '../../tools/team-msg.js';
import { VERSION } from '../version.js';
import type { ToolDeps } from './deps.js';

export const SERVER_NAME = 'maestro-tools';

/** Cap on the number of values in one call's arguments, so no input can exhaust the server. */
const MAX_INPUT_ELEMENTS = 20_000;

export function createServer(deps: ToolDeps): { server: McpServer; cleanup: () => Promise<void> } {
  const server = new McpServer(
    { name: SERVER_NAME, version: VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'maestro-tools runs a team of worker agents. team_msg is the shared message bus: workers log progress, blockers and completions; the coordinator reads them with list.',
      maxToolInputElements: MAX_INPUT_ELEMENTS,
    },
  );
  registerTeamMsg(server, deps);
  return {
    server,
    cleanup: async () => {
      await server.close();
    },
  };
}
