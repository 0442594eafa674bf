/**
 * Tool results in one shape: `structuredContent` matching the tool's output schema plus a text
 * rendering for clients that show text. Errors become `isError` results in exactly one place.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MaestroError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { fromSqliteError } from '../bus/storage-errors.js';

export function toolResult(structured: object, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured as Record<string, unknown> };
}

/** `dbFile`: the database this server uses, named in any error about the file itself. */
export function toolError(thrown: unknown, logger: Logger, tool: string, dbFile?: string): CallToolResult {
  const error = dbFile ? fromSqliteError(dbFile, thrown) : thrown;
  if (error instanceof MaestroError) {
    logger.info({ tool, code: error.code }, error.message);
    return { content: [{ type: 'text', text: error.message }], isError: true };
  }
  // Not a rule the caller broke but something we did not expect: keep the detail in the log.
  logger.error({ tool, err: error }, 'tool failed');
  return { content: [{ type: 'text', text: `internal error in ${tool}: ${errorMessage(error)}` }], isError: true };
}
