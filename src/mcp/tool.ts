/**
 * Registering a tool the one way every tool here is registered: the zod input schema is the
 * advertised schema, the output schema is declared, a handler returns structured content plus a
 * text rendering, and any error becomes an `isError` result (mapped in result.ts).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { ToolDeps } from './deps.js';
import { toolError, toolResult } from './result.js';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolDefinition<I extends z.ZodType<Record<string, unknown>>, O extends z.ZodType<object>> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(
    input: z.infer<I>,
    extra: Extra,
  ): Promise<{ structured: z.infer<O>; text: string }> | { structured: z.infer<O>; text: string };
}

export function registerTool<I extends z.ZodType<Record<string, unknown>>, O extends z.ZodType<object>>(
  server: McpServer,
  deps: Pick<ToolDeps, 'logger' | 'dbFile'>,
  tool: ToolDefinition<I, O>,
): void {
  const { logger } = deps;
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input as never,
      outputSchema: tool.output as never,
      annotations: tool.annotations,
    },
    (async (input: z.infer<I>, extra: Extra) => {
      const started = performance.now();
      try {
        const { structured, text } = await tool.run(input, extra);
        logger.debug({ tool: tool.name, ms: performance.now() - started }, 'tool call');
        return toolResult(structured, text);
      } catch (error) {
        return toolError(error, logger, tool.name, deps.dbFile);
      }
    }) as never,
  );
}
