/** `wait_agent`: block until a worker has news for the caller, or the time runs out. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { optionalSession, targetField } from '../src/ops/agents/fields.js';
import { WAIT_DEFAULT_MS, WAIT_MAX_MS, waitAgent, waitResultSchema } from '../src/ops/agents/wait.js';
import { visible } from '../src/ops/visible.js';

export const waitAgentInput = z
  .strictObject({
    timeout_ms: z
      .number({ error: `expected milliseconds from 0 to ${WAIT_MAX_MS}` })
      .int({ error: `expected whole milliseconds from 0 to ${WAIT_MAX_MS}` })
      .min(0, { error: `expected milliseconds from 0 to ${WAIT_MAX_MS}` })
      .max(WAIT_MAX_MS, { error: `expected milliseconds from 0 to ${WAIT_MAX_MS}` })
      .optional()
      .describe(`How long to wait at most (default ${WAIT_DEFAULT_MS}).`),
    targets: z
      .array(targetField)
      .min(1)
      .max(100)
      .optional()
      .describe('Agents to wait for. Default: all your open children.'),
    ids: z.array(targetField).min(1).max(100).optional().describe('Older name for targets.'),
    session_id: optionalSession,
  })
  .superRefine((input, ctx) => {
    if (input.targets && input.ids)
      ctx.addIssue({ code: 'custom', path: ['ids'], message: 'give targets or ids, not both' });
  });

export const waitAgentOutput = waitResultSchema;

export function registerWaitAgent(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'wait_agent',
    title: 'Wait for worker agents',
    description:
      'Wait until one of your agents has news — it finished its turn (reported a result, completed or errored) or sent you a message with send_message — ' +
      'or until timeout_ms passes. Returns at once if news is already waiting; each piece of news is returned once. ' +
      'Progress and blocker entries on team_msg do not end a wait: read them with team_msg list afterwards.',
    input: waitAgentInput,
    output: waitAgentOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async run(input, extra) {
      const token = extra._meta?.progressToken;
      const result = await waitAgent(
        deps.agents,
        deps.caller,
        { timeout_ms: input.timeout_ms, targets: input.targets ?? input.ids, session_id: input.session_id },
        {
          signal: extra.signal,
          callLimit: deps.connection.callLimit,
          onProgress:
            token === undefined
              ? undefined
              : (progress, total, message) =>
                  void extra
                    .sendNotification({
                      method: 'notifications/progress',
                      params: { progressToken: token, progress, total, message },
                    })
                    .catch(() => undefined),
        },
      );
      const lines = Object.entries(result.agents).map(([name, a]) => {
        const detail = a.error
          ? `: ${a.error}`
          : a.result !== undefined
            ? `: ${typeof a.result === 'string' ? a.result : JSON.stringify(a.result)}`
            : '';
        // A worker's result cannot forge another agent's line (structuredContent keeps it exact).
        return visible(`${name} ${a.status} (turn ${a.turn})${detail}`);
      });
      const text = [result.timed_out ? `Timed out. ${result.message}` : result.message, ...lines].join('\n');
      return { structured: result, text };
    },
  });
}
