/**
 * One MCP connection's client: who it said it is at `initialize`, and the longest it lets a tool
 * call run (`callLimit`), decided once, when the client has initialized. Codex ends every call
 * after its `tool_timeout_sec` for the server (300 s when maestro's entry sets none; progress
 * notifications do not extend it), so a call held longer is lost to it. Other clients have no
 * known limit (Claude Code resets its idle clock on progress) and get none.
 */
import { readFileSync } from 'node:fs';
import type { Implementation } from '@modelcontextprotocol/sdk/types.js';
import { codexConfig } from '../install/locations.js';
import { findUnder, parseTomlValue, type TomlValue } from '../install/toml.js';
import type { Logger } from '../log.js';
import type { CallLimit } from '../ops/agents/wait.js';

/** What Codex sends as `clientInfo.name` (0.169: `{"name":"codex-mcp-client","title":"Codex","version":"0.169.0"}`). */
export const CODEX_CLIENT_NAME = 'codex-mcp-client';
/** Codex's limit on a tool call when the server's entry has no `tool_timeout_sec`. */
export const CODEX_DEFAULT_TOOL_TIMEOUT_SEC = 300;

export interface Connection {
  /** The client's `clientInfo`; null before it has initialized. */
  readonly client: Implementation | null;
  /** The longest a call may be held for this client; null when it sets no limit we know of. */
  readonly callLimit: CallLimit | null;
}

/** How long a call may be held within a client's limit: a margin of a tenth, 2 s to 15 s, for transport and load. */
export function holdWithin(clientMs: number): number {
  const margin = Math.min(Math.max(clientMs / 10, 2000), 15_000);
  return Math.max(Math.round(clientMs - margin), Math.round(clientMs / 2));
}

/** `tool_timeout_sec` of `[mcp_servers.<serverName>]` in a Codex config.toml, if it sets one. */
export function codexToolTimeoutSec(text: string, serverName: string): number | undefined {
  const root: { [key: string]: TomlValue } = {};
  for (const key of findUnder(text, ['mcp_servers', serverName])) {
    if (key.kind !== 'key') continue;
    const value = parseTomlValue(key.value ?? '');
    if (value === undefined) continue;
    let node = root;
    for (const part of key.path.slice(0, -1)) {
      const next = node[part];
      node = (node[part] = typeof next === 'object' && !Array.isArray(next) ? next : {}) as typeof root;
    }
    node[key.path.at(-1)!] = value;
  }
  const servers = root.mcp_servers;
  const entry = typeof servers === 'object' && !Array.isArray(servers) ? servers[serverName] : undefined;
  const sec = typeof entry === 'object' && !Array.isArray(entry) ? entry.tool_timeout_sec : undefined;
  return typeof sec === 'number' && Number.isFinite(sec) && sec > 0 ? sec : undefined;
}

/**
 * The call limit of a client, from its `clientInfo` and its configuration: for Codex, maestro's
 * entry in $CODEX_HOME/config.toml (else ~/.codex/config.toml). A `-c` override on Codex's command
 * line is invisible here; the default it would override is what we assume.
 */
export function callLimitFor(
  client: Implementation | undefined,
  options: { env: NodeJS.ProcessEnv; serverName: string },
): CallLimit | null {
  if (client?.name !== CODEX_CLIENT_NAME) return null;
  const file = codexConfig(options.env);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no config file: Codex's default applies
  }
  const configured = codexToolTimeoutSec(text, options.serverName);
  const sec = configured ?? CODEX_DEFAULT_TOOL_TIMEOUT_SEC;
  const clientMs = Math.round(sec * 1000);
  return {
    clientMs,
    holdMs: holdWithin(clientMs),
    source:
      configured === undefined
        ? `Codex's default; raise it with tool_timeout_sec in [mcp_servers.${options.serverName}] of ${file}`
        : `tool_timeout_sec in [mcp_servers.${options.serverName}] of ${file}`,
  };
}

/**
 * The connection's client as the server learnt it at `initialize` (`clientInfo` reads it); the
 * limit is decided the first time it is needed after that, and kept.
 */
export function createConnection(options: {
  clientInfo: () => Implementation | undefined;
  env: NodeJS.ProcessEnv;
  serverName: string;
  logger: Logger;
}): Connection {
  let decided: { client: Implementation; callLimit: CallLimit | null } | null = null;
  const decide = () => {
    const client = options.clientInfo();
    if (decided || !client) return decided;
    decided = { client, callLimit: callLimitFor(client, options) };
    options.logger.info(
      { client: { name: client.name, version: client.version }, call_limit_ms: decided.callLimit?.clientMs ?? null },
      'client initialized',
    );
    return decided;
  };
  return {
    get client() {
      return decide()?.client ?? null;
    },
    get callLimit() {
      return decide()?.callLimit ?? null;
    },
  };
}
