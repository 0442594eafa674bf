/**
 * How any Codex transport is given maestro's server: `-c` overrides on the user's own Codex
 * configuration (their CODEX_HOME and model provider stay as they are), with its tools approved
 * and the server required, and the worker's environment passed by name.
 */
import type { LaunchSpec } from './types.js';

/** TOML for a `-c key=value` override: JSON strings and arrays of strings are valid TOML. */
export const toml = (value: string | string[]) => JSON.stringify(value);
const tomlTable = (entries: Record<string, string>) =>
  `{${Object.entries(entries)
    .map(([k, v]) => `${k} = ${toml(v)}`)
    .join(', ')}}`;

/**
 * Calls to maestro's own tools are approved (workers run with approval policy "never", so an
 * unapproved MCP call is refused), and the server is required: otherwise a server slower than
 * about a second to start is silently left out of the first request (test/fixtures/recorded/FACTS.md).
 */
export const CODEX_SERVER_ARGS: string[] = [
  '-c',
  'mcp_servers.maestro-tools.default_tools_approval_mode="approve"',
  '-c',
  'mcp_servers.maestro-tools.required=true',
];

/** The `-c` overrides that add maestro-tools for this worker, and its reasoning effort. */
export function codexServerOverrides(spec: LaunchSpec): string[] {
  const server = 'mcp_servers.maestro-tools';
  return [
    '-c',
    `${server}.command=${toml(spec.mcp.command)}`,
    '-c',
    `${server}.args=${toml(spec.mcp.args)}`,
    '-c',
    `${server}.env=${tomlTable(spec.mcp.env)}`,
    // Codex gives MCP servers only a few variables of its own. The worker's server needs the rest
    // of the worker's environment (provider keys, to start workers of its own): passed by name,
    // so no value ever appears on a command line.
    '-c',
    `${server}.env_vars=${toml(Object.keys(spec.env).filter((name) => !(name in spec.mcp.env)))}`,
    ...CODEX_SERVER_ARGS,
    ...(spec.reasoningEffort ? ['-c', `model_reasoning_effort=${toml(spec.reasoningEffort)}`] : []),
  ];
}

/** The last lines of stderr, for an error message. */
export function stderrDetail(tail: string): string {
  return tail.split('\n').slice(-3).join(' | ');
}
