/**
 * Whether Claude Code will start a server of the project's `.mcp.json`, read the way Claude Code
 * reads it (checked against `claude mcp list` 2.1.329): a `disabledMcpjsonServers` entry in any
 * settings source disables it; the user's settings (`~/.claude/settings.json`) approve it with
 * `enabledMcpjsonServers` or `enableAllProjectMcpServers`; the project's settings
 * (`.claude/settings.json`, `.claude/settings.local.json`) and the project's entry in
 * `~/.claude.json` approve it the same way, but only once the folder is trusted
 * (`hasTrustDialogAccepted` in that entry). Anything else is pending approval.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathKind } from './fs-util.js';
import { claudeConfigDir, claudeUserJson } from './locations.js';

export type ApprovalState = 'approved' | 'pending' | 'disabled';

export interface Approval {
  state: ApprovalState;
  trusted: boolean;
  /** The file that approves or disables it (for a pending server: one that would, once trusted). */
  where?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readObject(file: string): Record<string, unknown> {
  if (pathKind(file) !== 'file') return {};
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isObject(value) ? value : {};
  } catch {
    return {}; // Claude Code ignores a settings file it cannot parse
  }
}

const lists = (settings: Record<string, unknown>, key: string, name: string) =>
  Array.isArray(settings[key]) && (settings[key] as unknown[]).includes(name);

export function projectServerApproval(project: string, name: string, env: NodeJS.ProcessEnv): Approval {
  const userJson = claudeUserJson(env);
  const projects = readObject(userJson).projects;
  const entry = isObject(projects) && isObject(projects[project]) ? projects[project] : {};
  const trusted = entry.hasTrustDialogAccepted === true;
  const user = { file: path.join(claudeConfigDir(env), 'settings.json') };
  const sources = [
    { file: user.file, settings: readObject(user.file), needsTrust: false },
    ...[path.join(project, '.claude', 'settings.json'), path.join(project, '.claude', 'settings.local.json')].map(
      (file) => ({ file, settings: readObject(file), needsTrust: true }),
    ),
    { file: userJson, settings: entry, needsTrust: true },
  ];
  const disabled = sources.find((s) => lists(s.settings, 'disabledMcpjsonServers', name));
  if (disabled) return { state: 'disabled', trusted, where: disabled.file };
  const enabling = sources.filter(
    (s) => s.settings.enableAllProjectMcpServers === true || lists(s.settings, 'enabledMcpjsonServers', name),
  );
  const effective = enabling.find((s) => !s.needsTrust || trusted);
  if (effective) return { state: 'approved', trusted, where: effective.file };
  return { state: 'pending', trusted, ...(enabling[0] ? { where: enabling[0].file } : {}) };
}
