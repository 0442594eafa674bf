/** The only module that knows the concrete backends. */
import { MaestroError } from '../errors.js';
import { claudeBackend } from './claude.js';
import { CODEX_BACKENDS } from './codex.js';
import { commandBackend } from './command.js';
import { BACKEND_NAMES, type Backend, type BackendName, type CodexTransport } from './types.js';

export type BackendRegistry = (name: string) => Backend;

export function createBackendRegistry(
  extra: Partial<Record<BackendName, Backend>> = {},
  options: { codexTransport?: CodexTransport | undefined } = {},
): BackendRegistry {
  const backends: Partial<Record<BackendName, Backend>> = {
    claude: claudeBackend,
    codex: CODEX_BACKENDS[options.codexTransport ?? 'app-server'],
    command: commandBackend,
    ...extra,
  };
  return (name) => {
    const backend = backends[name as BackendName];
    if (!backend) {
      throw new MaestroError('invalid_input', `unknown backend '${name}'; backends: ${BACKEND_NAMES.join(', ')}`);
    }
    return backend;
  };
}
