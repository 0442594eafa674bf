/**
 * The MCP floor for (e): a server built with the same SDK as maestro (McpServer over stdio)
 * with one tool that does nothing and returns a constant shaped like a `team_msg log` result,
 * with an output schema, so the SDK and the client do the same protocol work a real call does.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** Run as its own process only: importing this module starts the server. */
const NOOP_TOOL = 'noop';

const message = z.object({
  id: z.string(),
  session_id: z.string(),
  ts: z.string(),
  from: z.string(),
  to: z.string(),
  type: z.string(),
  summary: z.string(),
  data: z.record(z.string(), z.unknown()),
  sender_agent_id: z.string().nullable(),
});

const STRUCTURED = {
  operation: 'log',
  session_id: 'bench-floor',
  id: 'MSG-001',
  message: {
    id: 'MSG-001',
    session_id: 'bench-floor',
    ts: '2026-12-01T00:00:00.000Z',
    from: 'IMPL-001',
    to: 'coordinator',
    type: 'progress',
    summary: '[IMPL-001] phase done (10%)',
    data: {
      task_id: 'IMPL-001',
      role: 'implementer',
      status: 'in_progress',
      progress_pct: 10,
      phase: 'phase-1',
      key_info: 'edited src/module-1.ts; tests green',
    },
    sender_agent_id: null,
  },
};
const TEXT = `Logged in session bench-floor: MSG-001 [00:00:00] IMPL-001 → coordinator (progress) [IMPL-001] phase done (10%)`;

const server = new McpServer({ name: 'bench-noop', version: '0.0.0' }, { capabilities: { tools: {} } });
server.registerTool(
  NOOP_TOOL,
  {
    description: 'Does nothing; returns a constant.',
    inputSchema: z.looseObject({}) as never,
    outputSchema: z.object({ operation: z.string(), session_id: z.string(), id: z.string(), message }) as never,
  },
  (() => ({ content: [{ type: 'text', text: TEXT }], structuredContent: STRUCTURED })) as never,
);
process.stdin.on('end', () => process.exit(0));
await server.connect(new StdioServerTransport());
