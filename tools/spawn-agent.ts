/** `spawn_agent`: start a real worker process on a task. */
import { z } from 'zod';
import { BACKEND_NAMES } from '../src/backends/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../src/mcp/deps.js';
import { registerTool } from '../src/mcp/tool.js';
import { NO_NUL_RULE, agentMessageField, noNul, optionalSession, taskNameField } from '../src/ops/agents/fields.js';
import { spawnAgent, spawnResultSchema } from '../src/ops/agents/spawn.js';
import { visible } from '../src/ops/visible.js';

export const spawnAgentInput = z
  .strictObject({
    message: agentMessageField.optional().describe('The task, as the worker should read it.'),
    items: z
      .array(z.strictObject({ type: z.literal('text'), text: z.string().refine(noNul, { error: NO_NUL_RULE }) }))
      .min(1)
      .optional()
      .describe('The task as text items (older form of message).'),
    task_name: taskNameField.optional(),
    agent_type: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected an agent type name such as team_worker' })
      .optional()
      .describe('Role: default, team_worker, team_supervisor, or one from .maestro/config.json.'),
    model: z.string().min(1).max(200).optional().describe('Model for this worker, overriding its agent type.'),
    reasoning_effort: z.string().min(1).max(40).optional(),
    fork_turns: z
      .union([z.enum(['none', 'all']), z.number().int().min(0), z.string().regex(/^\d+$/)])
      .optional()
      .describe('Start from a copy of the parent’s conversation: only "none" (the default) is supported.'),
    backend: z
      .enum(BACKEND_NAMES)
      .optional()
      .describe('Agent CLI: claude, codex or command. Default: the agent type’s.'),
    command: z
      .array(z.string().min(1).refine(noNul, { error: NO_NUL_RULE }))
      .min(1)
      .max(256)
      .optional()
      .describe('For backend "command": the argv to run; the task arrives on stdin and in MAESTRO_TASK.'),
    cwd: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('Working directory inside the project. Default: the project root.'),
    isolation: z
      .enum(['worktree'])
      .optional()
      .describe('"worktree": its own git worktree on branch maestro/<session>/<task_name>.'),
    host: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected a host name such as build-box (letters, digits, _ . -)' })
      .optional()
      .describe('Run it on the machine whose `maestro host` has this --name. Default: this machine.'),
    labels: z
      .array(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected a label such as gpu (letters, digits, _ . -)' }),
      )
      .min(1)
      .max(32)
      .optional()
      .describe('Run it on any live `maestro host` that has every one of these --labels.'),
    session_id: optionalSession,
  })
  .superRefine((input, ctx) => {
    if ((input.message === undefined) === (input.items === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['message'],
        message: 'give the task as message (or as items), exactly one of them',
      });
    }
  });

export const spawnAgentOutput = spawnResultSchema;

export function registerSpawnAgent(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: 'spawn_agent',
    title: 'Spawn a worker agent',
    description:
      'Start a new worker agent — a real Claude Code, Codex or command process — on a task. It can be addressed by task_name afterwards. ' +
      'The worker is told its task name, session and parent; it logs progress with team_msg and reports with report_agent_job_result. ' +
      'Use wait_agent to learn when it finishes. Limits: open agents per session and nesting depth (.maestro/config.json).',
    input: spawnAgentInput,
    output: spawnAgentOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async run(input) {
      const message = input.message ?? input.items!.map((i) => i.text).join('\n');
      const result = await spawnAgent(deps.agents, deps.caller, {
        ...input,
        message,
        fork_turns: input.fork_turns?.toString(),
      });
      const text =
        result.status === 'errored'
          ? `Spawned ${result.task_name} (${result.agent_id}) in session ${result.session_id}, but it failed to start: ${visible(result.error ?? '')}`
          : `Spawned ${result.task_name} (${result.agent_id}) in session ${result.session_id}: ${result.status}${result.branch ? `, on branch ${result.branch}` : ''}${result.host ? `, on host ${result.host}` : ''}.`;
      return { structured: result, text };
    },
  });
}
