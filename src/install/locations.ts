/**
 * Where each client keeps what maestro installs, for a project or for the user: the skill,
 * command and agent folders, the file that registers MCP servers, and maestro's own manifest.
 * Honours HOME, CLAUDE_CONFIG_DIR and CODEX_HOME from the environment.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import type { Client } from './sources.js';

export type Scope = 'project' | 'user';

export interface Locations {
  scope: Scope;
  /** The project directory, or the home directory for the user scope. */
  root: string;
  home: string;
  /** Who the shared Codex registration is for: the project path, or "user". */
  owner: string;
  manifest: string;
  /** Base folder of each client's files (`skills/…`, `commands/…`, `agents/…` go below it). */
  base: Record<Client, string>;
  /** The JSON file holding Claude Code's servers for this scope (`mcpServers.maestro-tools`). */
  claudeJson: string;
  /** Codex's config.toml (per user, whatever the scope). */
  codexConfig: string;
}

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME ? path.resolve(env.HOME) : homedir();
}

export function claudeConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAUDE_CONFIG_DIR ? path.resolve(env.CLAUDE_CONFIG_DIR) : path.join(homeDir(env), '.claude');
}

/** `~/.claude.json`, which lives in CLAUDE_CONFIG_DIR when that is set. */
export function claudeUserJson(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAUDE_CONFIG_DIR
    ? path.join(path.resolve(env.CLAUDE_CONFIG_DIR), '.claude.json')
    : path.join(homeDir(env), '.claude.json');
}

export function codexConfig(env: NodeJS.ProcessEnv = process.env): string {
  const codexHome = env.CODEX_HOME ? path.resolve(env.CODEX_HOME) : path.join(homeDir(env), '.codex');
  return path.join(codexHome, 'config.toml');
}

export function locations(scope: Scope, project: string, env: NodeJS.ProcessEnv = process.env): Locations {
  const home = homeDir(env);
  if (scope === 'user') {
    return {
      scope,
      root: home,
      home,
      owner: 'user',
      manifest: path.join(home, '.maestro', 'install.json'),
      base: { claude: claudeConfigDir(env), codex: path.join(home, '.agents') },
      claudeJson: claudeUserJson(env),
      codexConfig: codexConfig(env),
    };
  }
  return {
    scope,
    root: project,
    home,
    owner: project,
    manifest: path.join(project, '.maestro', 'install.json'),
    base: { claude: path.join(project, '.claude'), codex: path.join(project, '.agents') },
    claudeJson: path.join(project, '.mcp.json'),
    codexConfig: codexConfig(env),
  };
}
