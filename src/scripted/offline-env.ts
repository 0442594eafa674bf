/**
 * Environments for running the real Claude Code and Codex CLIs offline against the scripted
 * servers: a throwaway home (so no real profile is read or written), the model endpoint, a dummy
 * key, and none of the variables a parent agent or the developer's shell would leak in.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type Env = Record<string, string>;

export interface OfflineEnv {
  env: Env;
  /** The temporary home (HOME; Claude's config dir or CODEX_HOME live inside it). */
  home: string;
  cleanup(): void;
}

/** Variables that would point a child at another account, endpoint or parent session. */
const LEAKY = /^(CLAUDECODE|CLAUDE_CODE_.*|CLAUDE_CONFIG_DIR|ANTHROPIC_.*|CODEX_.*|OPENAI_.*)$/;

function baseEnv(base: NodeJS.ProcessEnv): Env {
  const env: Env = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined && !LEAKY.test(key)) env[key] = value;
  return env;
}

function tempHome(prefix: string): { home: string; cleanup: () => void } {
  const home = mkdtempSync(path.join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export interface ClaudeEnvOptions {
  /** The Anthropic server's URL (`http://127.0.0.1:<port>`). */
  baseUrl: string;
  /** Environment to start from (default process.env), leaky variables removed. */
  base?: NodeJS.ProcessEnv;
  extra?: Env;
}

export function claudeOfflineEnv(options: ClaudeEnvOptions): OfflineEnv {
  const { home, cleanup } = tempHome('maestro-claude-');
  const configDir = path.join(home, '.claude');
  mkdirSync(configDir);
  return {
    home,
    cleanup,
    env: {
      ...baseEnv(options.base ?? process.env),
      HOME: home,
      CLAUDE_CONFIG_DIR: configDir,
      ANTHROPIC_BASE_URL: options.baseUrl,
      ANTHROPIC_API_KEY: 'sk-ant-scripted',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      // Otherwise MCP tools hide behind a ToolSearch tool and a scripted model cannot call them directly.
      ENABLE_TOOL_SEARCH: 'false',
      ...options.extra,
    },
  };
}

export const CODEX_KEY_VAR = 'MAESTRO_SCRIPTED_API_KEY';

export interface CodexEnvOptions {
  /** The Responses server's URL (`http://127.0.0.1:<port>`). */
  baseUrl: string;
  /** Model name sent in requests (default "scripted"). */
  model?: string;
  /** Extra TOML appended to config.toml. */
  config?: string;
  base?: NodeJS.ProcessEnv;
  extra?: Env;
}

export function codexConfigToml(baseUrl: string, model = 'scripted'): string {
  return [
    `model = ${JSON.stringify(model)}`,
    'model_provider = "scripted"',
    'check_for_update_on_startup = false',
    '',
    '[model_providers.scripted]',
    'name = "scripted"',
    `base_url = ${JSON.stringify(`${baseUrl}/v1`)}`,
    'wire_api = "responses"',
    `env_key = "${CODEX_KEY_VAR}"`,
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n');
}

export function codexOfflineEnv(options: CodexEnvOptions): OfflineEnv & { codexHome: string } {
  const { home, cleanup } = tempHome('maestro-codex-');
  const codexHome = path.join(home, '.codex');
  mkdirSync(codexHome);
  writeFileSync(
    path.join(codexHome, 'config.toml'),
    codexConfigToml(options.baseUrl, options.model) + (options.config ?? ''),
  );
  return {
    home,
    codexHome,
    cleanup,
    env: {
      ...baseEnv(options.base ?? process.env),
      HOME: home,
      CODEX_HOME: codexHome,
      [CODEX_KEY_VAR]: 'sk-scripted',
      ...options.extra,
    },
  };
}
