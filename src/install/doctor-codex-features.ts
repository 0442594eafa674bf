/**
 * Doctor's look at Codex's own multi-agent tools (spawn_agent, wait_agent, … in namespace
 * `multi_agent_v1`), which sit beside maestro's with the same names. Codex itself answers,
 * through `codex features list` run in the project — so the user's config, the project's
 * `.codex/config.toml` and whether Codex trusts the project (it reads that file only then) all
 * count exactly as they do when Codex starts there.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { check, type Check, type DoctorOptions } from './check.js';
import { displayPath, pathKind } from './fs-util.js';
import { homeDir } from './locations.js';
import { CODEX_MULTI_AGENT_FEATURES, codexProjectConfig, tomlFeatures } from './project-lines.js';
import { resolveCommand } from './registration.js';

const NAME = 'codex agents';

/** `codex features list` lines: `<name>  <stage>  <true|false>`. */
export function parseFeatures(stdout: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of stdout.split('\n')) {
    const match = /^(\S+)\s+.*\s(true|false)\s*$/.exec(line);
    if (match) out.set(match[1]!, match[2] === 'true');
  }
  return out;
}

function featuresList(file: string, o: DoctorOptions): Promise<Map<string, boolean> | string> {
  return new Promise((resolve) => {
    execFile(file, ['features', 'list'], { timeout: 10_000, env: o.env, cwd: o.project }, (error, stdout) => {
      const features = parseFeatures(stdout);
      if (error || features.size === 0) {
        resolve(error?.killed ? 'no answer within 10 s' : error ? errorMessage(error).split('\n')[0]! : 'no output');
      } else resolve(features);
    });
  });
}

export async function codexFeaturesCheck(o: DoctorOptions): Promise<Check> {
  const file = resolveCommand('codex', o.project, o.env);
  if (!file) return check(NAME, 'warn', "codex not found: cannot tell whether Codex's own multi-agent tools are on");
  const features = await featuresList(file, o);
  if (typeof features === 'string') {
    return check(NAME, 'warn', `codex features list failed: ${features}`);
  }
  const on = CODEX_MULTI_AGENT_FEATURES.filter((f) => features.get(f) === true);
  const projectFile = codexProjectConfig(o.project);
  const shown = displayPath(projectFile, o.project, homeDir(o.env));
  if (on.length === 0) {
    return check(NAME, 'ok', "off in this project: Codex's model sees maestro's spawn_agent, wait_agent, … only");
  }
  const onText = `${on.join(', ')} on: Codex's own spawn_agent, wait_agent, … sit beside maestro's (the skill tells the model to use maestro's)`;
  let projectSays: unknown;
  try {
    projectSays = pathKind(projectFile) === 'file' ? tomlFeatures(readFileSync(projectFile, 'utf8')) : undefined;
  } catch {
    projectSays = undefined;
  }
  const setsOff = (projectSays as Record<string, unknown> | undefined)?.multi_agent === false;
  if (setsOff && on.includes('multi_agent')) {
    return check(
      NAME,
      'warn',
      `${onText}; ${shown} turns them off, but Codex reads it only in a project you trust`,
      `start codex in ${o.project} and trust it, or add [projects."${o.project}"] trust_level = "trusted" to your Codex config.toml`,
    );
  }
  const fix = on.includes('multi_agent_v2')
    ? `add multi_agent_v2 = false to [features] in ${shown}`
    : `run maestro install --codex (turns them off in ${shown}), or add multi_agent = false to its [features]`;
  return check(NAME, 'warn', onText, fix);
}
