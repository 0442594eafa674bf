/** `report_agent_job_result`: a worker reports its result, once per turn. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { reportResult, reportResultSchema } from '../src/ops/agents/report.js';

/** Open: the skills send {id, status, findings, quality_score, supervision_verdict, error}, Codex jobs {job_id, item_id, result, stop}. */
export const reportInput = z
  .looseObject({
    result: z.unknown().optional().describe('Your result. Without it, all the fields you send are the result.'),
    status: z.string().optional().describe('e.g. completed, failed'),
  })
  .describe('Your result, reported once for the current turn.');

export const reportOutput = reportResultSchema;

export function registerReportAgentJobResult(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'report_agent_job_result',
    title: 'Report your result',
    description:
      'For worker agents: report the result of your current task, exactly once. It is bound to you (the agent this server was started for) ' +
      'and reaches your parent’s wait_agent at once. Send {result: …} or your fields directly (e.g. {status, findings, quality_score}).',
    input: reportInput,
    output: reportOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(input) {
      const keys = Object.keys(input);
      const result = keys.length === 1 && keys[0] === 'result' ? input.result : input;
      const outcome = await reportResult(deps.agents, deps.caller, result);
      return { structured: outcome, text: outcome.message };
    },
  });
}
