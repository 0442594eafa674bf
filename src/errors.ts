/**
 * Typed errors with stable codes. Every layer throws these; the MCP layer turns them into
 * `isError` results and the CLI into exit codes, each in exactly one place.
 */

export type ErrorCode =
  | 'invalid_input' // the caller sent something the rules do not allow
  | 'not_found' // the caller named something that does not exist
  | 'too_large' // a size limit was exceeded
  | 'limit' // a configured limit (open agents, depth) would be exceeded
  | 'conflict' // the request clashes with the current state (a task name in use, an illegal transition)
  | 'forbidden' // the caller may not do this (another session, not its descendant)
  | 'unavailable' // a backend could not be started or reached
  | 'timeout' // another process did not do what was asked of it in time
  | 'schema_too_new' // the database was written by a newer maestro
  | 'storage'; // the database could not be opened or written

export class MaestroError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MaestroError';
    this.code = code;
  }
}

export const invalidInput = (message: string): MaestroError => new MaestroError('invalid_input', message);
export const notFound = (message: string): MaestroError => new MaestroError('not_found', message);
export const tooLarge = (message: string): MaestroError => new MaestroError('too_large', message);

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
