/**
 * The `codex` backend's transports: `app-server` (the default: one process per open agent,
 * messages steered into a running turn) or the declared fallback `exec` (a process per turn,
 * messages wait for the next one), chosen by `backends.codex.transport` in .maestro/config.json.
 * Each declares its own capabilities.
 */
import { codexAppServerBackend } from './codex-app.js';
import { codexExecBackend } from './codex-exec.js';
import type { Backend, CodexTransport } from './types.js';

export const CODEX_BACKENDS: Record<CodexTransport, Backend> = {
  'app-server': codexAppServerBackend,
  exec: codexExecBackend,
};
