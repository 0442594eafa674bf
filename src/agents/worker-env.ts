/**
 * What a worker's environment holds. A worker is another program (an agent CLI with a shell, or
 * any command), and the server that starts it usually runs inside a developer's shell or a parent
 * agent, whose environment holds cloud credentials, tokens and that parent's session variables.
 * So a worker gets an allow list: what a CLI needs to run at all, what Claude Code and Codex
 * need to reach their model, and maestro's own settings. With an allow list, a secret nobody
 * thought of stays out by default; a project passes or sets more under `worker_env` in
 * `.maestro/config.json`.
 *
 * The provider variables of both CLIs go to every worker, whatever its backend: a worker's own
 * maestro server starts the workers below it from the environment it got, so a Claude Code worker
 * must be able to start a Codex one.
 *
 * Identity (MAESTRO_AGENT_ID, MAESTRO_SESSION, MAESTRO_DB) is never taken from the parent: the
 * supervisor sets it for each worker, and neither this list nor the configuration can name it.
 * MAESTRO_AGENT_ID is a claim and a marker every process of the worker inherits; what proves it
 * is the process ancestry (identity.ts).
 */

/** Who a worker is: set by the supervisor for each worker, never inherited, never configurable. */
export const IDENTITY_VARS = ['MAESTRO_AGENT_ID', 'MAESTRO_SESSION', 'MAESTRO_DB', 'MAESTRO_DATA_DIR', 'MAESTRO_HOST'];

/** Also set per worker by maestro (its server's log, the command backend's task). */
const PER_WORKER_VARS = ['MAESTRO_LOG_FILE', 'MAESTRO_TASK'];

/**
 * A name, or a prefix followed by `*`. Letters, digits and `_`, not starting with a digit; a bare
 * `*` is not a pattern (it would pass everything).
 */
export const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What any CLI needs to run: where programs are, who and where the user is, locale, network. */
const BASICS = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'COLORTERM',
  'NO_COLOR',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'XDG_*',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // libpq's variables, which pg reads too: a worker's own server reaches a PostgreSQL team
  // database as its parent's did (a password kept out of the URL, a client certificate).
  'PGHOST',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGPASSFILE',
  'PGDATABASE',
  'PGSSLMODE',
  'PGSSLROOTCERT',
  'PGSSLCERT',
  'PGSSLKEY',
  // Windows: without these, processes cannot even start there.
  'SYSTEMROOT',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'HOMEDRIVE',
  'HOMEPATH',
];

/** Claude Code's own settings: endpoint, key, config dir, and the switches it documents. */
const CLAUDE_CODE = [
  'ANTHROPIC_*',
  'CLAUDE_*',
  'DISABLE_TELEMETRY',
  'DISABLE_AUTOUPDATER',
  'DISABLE_ERROR_REPORTING',
  'DISABLE_BUG_COMMAND',
  'DISABLE_COST_WARNINGS',
  'DISABLE_PROMPT_CACHING*',
  'ENABLE_TOOL_SEARCH',
  'MCP_TIMEOUT',
  'MCP_TOOL_TIMEOUT',
  'MAX_MCP_OUTPUT_TOKENS',
  'MAX_THINKING_TOKENS',
  'BASH_DEFAULT_TIMEOUT_MS',
  'BASH_MAX_TIMEOUT_MS',
  'BASH_MAX_OUTPUT_LENGTH',
  'USE_BUILTIN_RIPGREP',
  'IS_SANDBOX',
  'CLOUD_ML_REGION',
  'VERTEX_REGION_*',
];

/** Codex's own settings: CODEX_HOME, its key and endpoint. */
const CODEX = ['OPENAI_*', 'CODEX_*'];

/**
 * maestro's settings a worker's own server should share with this one. MAESTRO_SCRIPTED_API_KEY
 * is the key Codex reads for the scripted offline model (src/scripted/offline-env.ts).
 */
const MAESTRO = ['MAESTRO_CONFIG', 'MAESTRO_LOG_LEVEL', 'MAESTRO_PACKAGE_ROOT', 'MAESTRO_SCRIPTED_API_KEY'];

export const DEFAULT_PASS: readonly string[] = [...BASICS, ...CLAUDE_CODE, ...CODEX, ...MAESTRO];

/**
 * Variables a parent Claude Code or Codex sets for the commands it runs: they describe the
 * parent's session, and a worker that inherited them would take itself for part of it.
 */
export const PARENT_SESSION: readonly string[] = [
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  'CLAUDE_CODE_SSE_PORT',
  'CLAUDE_CODE_SESSION_*',
  'CLAUDE_CODE_CHILD_SESSION',
  'CLAUDE_CODE_LAUNCHED_BY_SESSION_IDS',
  'CLAUDE_CODE_CHILD_NOTES_DIR',
  'CLAUDE_CODE_SHELL_MCP_SERVERS',
  'CLAUDE_CODE_RESUME_*',
  'CLAUDE_CODE_RELAUNCH_*',
  'CLAUDE_BG_*',
  'CLAUDE_PID',
  'CLAUDE_EFFORT',
  'CLAUDE_PROJECT_DIR',
  'CLAUDE_ENV_FILE',
  'CODEX_SANDBOX',
  'CODEX_SANDBOX_NETWORK_DISABLED',
  'CODEX_THREAD_ID',
  'CODEX_SESSION_ID',
  'CODEX_TOOL_CALL_ID',
  'CODEX_SNAPSHOT_*',
];

export interface WorkerEnvConfig {
  /** More names (or `PREFIX*` patterns) to pass from the server's environment. */
  pass: string[];
  /** Variables set to these values in every worker (after what is passed). */
  set: Record<string, string>;
}

// Windows names are case-insensitive (PATH is often `Path` there).
const fold = process.platform === 'win32' ? (name: string) => name.toUpperCase() : (name: string) => name;

export function matches(pattern: string, name: string): boolean {
  const p = fold(pattern);
  const n = fold(name);
  return p.endsWith('*') ? n.startsWith(p.slice(0, -1)) : n === p;
}

/** Why `name` can never be passed or set in a worker's environment, or null if it can. */
export function reservedReason(name: string): string | null {
  if (IDENTITY_VARS.some((v) => matches(v, name)))
    return `${name} is a worker's identity, which maestro sets for each worker`;
  if (PER_WORKER_VARS.some((v) => matches(v, name))) return `${name} is set by maestro for each worker`;
  if (PARENT_SESSION.some((p) => matches(p, name))) return `${name} belongs to a parent agent's session`;
  return null;
}

/** The environment a worker starts from, before the supervisor adds its identity. */
export function workerEnv(parent: NodeJS.ProcessEnv, config: WorkerEnvConfig): Record<string, string> {
  const pass = [...DEFAULT_PASS, ...config.pass];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || reservedReason(name) !== null) continue;
    if (pass.some((p) => matches(p, name))) env[name] = value;
  }
  // The configuration is checked when it is loaded; this only keeps the rule in one place.
  for (const [name, value] of Object.entries(config.set)) if (reservedReason(name) === null) env[name] = value;
  return env;
}
