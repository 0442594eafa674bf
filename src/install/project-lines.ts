/**
 * The two lines-in-someone-else's-file edits of a project install: `.maestro/` (the message bus
 * and agents' state) in the project's `.gitignore`, and Codex's own multi-agent tools turned off
 * for this project in its `.codex/config.toml` — Codex's built-in spawn_agent, wait_agent, …
 * share maestro's tool names, and a model that sees both may call the wrong ones. Both only when
 * the file does not already say so; the user's global Codex configuration is never touched.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathKind } from './fs-util.js';
import { planAppendLines } from './lines.js';
import type { Plan } from './plan.js';
import { parseTomlValue, scanToml } from './toml.js';

export const GITIGNORE_LINE = '.maestro/';

/** Patterns that already keep `.maestro/` out of git. */
const IGNORES_MAESTRO = /^(\*\*\/|\/)?\.maestro(\/(\*\*?)?)?$/;

export function planGitignore(plan: Plan): void {
  const file = path.join(plan.loc.root, '.gitignore');
  const kind = pathKind(file);
  if (kind !== 'missing' && kind !== 'file') {
    return void plan.warnings.push(`${plan.show(file)} is not a file: add ${GITIGNORE_LINE} to git's ignores yourself`);
  }
  if (plan.manifest.lines.some((r) => r.file === file)) return;
  if (
    kind === 'file' &&
    readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .some((l) => IGNORES_MAESTRO.test(l.trim()))
  )
    return;
  planAppendLines(plan, 'maestro', file, [GITIGNORE_LINE], `${plan.show(file)}: ${GITIGNORE_LINE}`);
}

/** The feature flags behind Codex's built-in multi-agent tools (namespace `multi_agent_v1`, and v2). */
export const CODEX_MULTI_AGENT_FEATURES = ['multi_agent', 'multi_agent_v2'] as const;

export const CODEX_FEATURES_LINES = [
  "# maestro install: Codex's own multi-agent tools (spawn_agent, wait_agent, …) off in this project,",
  "# so the model uses maestro-tools' ones. 'maestro uninstall' removes these lines.",
  '[features]',
  'multi_agent = false',
];

/** `<project>/.codex/config.toml`, Codex's project layer (read only in a project the user trusts). */
export function codexProjectConfig(project: string): string {
  return path.join(project, '.codex', 'config.toml');
}

/** What a TOML text sets under `features` (e.g. `{multi_agent: false}`). */
export function tomlFeatures(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of scanToml(text)) {
    if (key.kind === 'key' && key.path[0] === 'features' && key.path.length === 2) {
      out[key.path[1]!] = parseTomlValue(key.value ?? '');
    }
  }
  return out;
}

export function planCodexFeatures(plan: Plan): void {
  const file = codexProjectConfig(plan.loc.root);
  const subject = `${plan.show(file)}: [features] multi_agent = false`;
  const kind = pathKind(file);
  if (kind !== 'missing' && kind !== 'file') {
    return void plan.warnings.push(`${plan.show(file)} is not a file: Codex's own multi-agent tools stay on`);
  }
  if (plan.manifest.lines.some((r) => r.file === file)) return;
  const text = kind === 'file' ? readFileSync(file, 'utf8') : undefined;
  if (text !== undefined && scanToml(text).some((k) => k.path[0] === 'features')) {
    if (tomlFeatures(text).multi_agent === false) return;
    // A second [features] table would make the file invalid; editing the user's is not ours to do.
    return void plan.warnings.push(
      `${plan.show(file)} has its own [features]: add multi_agent = false there to turn Codex's own ` +
        'multi-agent tools off in this project',
    );
  }
  planAppendLines(plan, 'codex', file, CODEX_FEATURES_LINES, subject);
}
