/**
 * The `maestro-tools` MCP server: the SDK's high-level server with every tool registered.
 * Built from its dependencies so tests and the stdio entry each assemble their own.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerCloseAgent } from '../../tools/close-agent.js';
import { registerFollowupTask } from '../../tools/followup-task.js';
import { registerInterruptAgent } from '../../tools/interrupt-agent.js';
import { registerListAgents } from '../../tools/list-agents.js';
import { registerReportAgentJobResult } from '../../tools/report-agent-job-result.js';
import { registerSendMessage } from '../../tools/send-message.js';
import { registerSpawnAgent } from '../../tools/spawn-agent.js';
import { registerTeamMsg } from '../../tools/team-msg.js';
import { registerWaitAgent } from '../../tools/wait-agent.js';
import { VERSION } from '../version.js';
import { createConnection } from './connection.js';
import type { RuntimeDeps, ToolDeps } from './deps.js';

export const SERVER_NAME = 'maestro-tools';

/** Cap on the number of values in one call's arguments, so no input can exhaust the server. */
const MAX_INPUT_ELEMENTS = 20_000;

const REGISTRATIONS = [
  registerSpawnAgent,
  registerWaitAgent,
  registerSendMessage,
  registerFollowupTask,
  registerInterruptAgent,
  registerCloseAgent,
  registerListAgents,
  registerReportAgentJobResult,
  registerTeamMsg,
];

/** The server for one connection; its client's call limit is decided when the client initializes. */
export function createServer(
  runtimeDeps: RuntimeDeps,
  env: NodeJS.ProcessEnv = process.env,
): { server: McpServer; cleanup: () => Promise<void> } {
  const server = new McpServer(
    { name: SERVER_NAME, version: VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'maestro-tools runs a team of real worker agents. spawn_agent starts one on a task; wait_agent returns when one has news; ' +
        'send_message and followup_task talk to them; close_agent ends them. team_msg is the shared message bus: workers log progress, ' +
        'blockers and completions; read them with team_msg list.',
      maxToolInputElements: MAX_INPUT_ELEMENTS,
    },
  );
  const connection = createConnection({
    clientInfo: () => server.server.getClientVersion(),
    env,
    serverName: SERVER_NAME,
    logger: runtimeDeps.logger,
  });
  server.server.oninitialized = () => void connection.callLimit; // decided (and logged) as soon as it is known
  const deps: ToolDeps = { ...runtimeDeps, connection };
  for (const register of REGISTRATIONS) register(server, deps);
  return {
    server,
    cleanup: async () => {
      await server.close();
    },
  };
}
