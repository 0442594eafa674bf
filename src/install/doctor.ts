/**
 * The checks behind `maestro doctor`: Node, the project's data directory, the two client CLIs,
 * each client's maestro-tools registration, the installed skill copies and whether Codex's own
 * multi-agent tools are on in the project. Each check is ok,
 * warn (a client not used or not set up: someone may use only one) or fail (something that is
 * set up but broken), with a hint how to fix it.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { CODEX_TOOL_TIMEOUT_SEC } from '../agents/client-limits.js';
import { resolveDbPath } from '../bus/paths.js';
import { errorMessage } from '../errors.js';
import { WAIT_MAX_MS } from '../ops/agents/wait.js';
import { check, type Check, type DoctorOptions } from './check.js';
import { projectServerApproval } from './claude-approval.js';
import { codexFeaturesCheck } from './doctor-codex-features.js';
import { findBlock, SERVER_NAME } from './codex-block.js';
import { displayPath, pathKind, sha256 } from './fs-util.js';
import { claudeUserJson, codexConfig, locations, type Scope } from './locations.js';
import { hasClientRecords, readManifest, type Manifest } from './manifest.js';
import { describeEntry, entryPaths, registrationProblem, resolveCommand, volatilePath } from './registration.js';
import { desiredContent, packageRoot, sourceFiles, type Client } from './sources.js';
import { readServer } from './toml.js';

export type { Check, Status } from './check.js';

export async function runChecks(o: DoctorOptions): Promise<Check[]> {
  const [claude, codex, codexFeatures] = await Promise.all([
    cliCheck('claude', 'claude', 'Claude Code', '@anthropic-ai/claude-code', o),
    cliCheck('codex', 'codex', 'Codex', '@openai/codex', o),
    codexFeaturesCheck(o),
  ]);
  return [
    nodeCheck(),
    dataCheck(o),
    claude,
    codex,
    claudeServerCheck(o),
    codexServerCheck(o),
    skillsCheck('claude', o),
    skillsCheck('codex', o),
    codexFeatures,
  ];
}

function nodeCheck(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20
    ? check('node', 'ok', `Node.js ${process.version}`)
    : check(
        'node',
        'fail',
        `Node.js ${process.version} is too old: maestro needs 20 or newer`,
        'install Node.js 20 or newer',
      );
}

function dataCheck(o: DoctorOptions): Check {
  const db = resolveDbPath({ cwd: o.project, env: o.env });
  const dir = path.dirname(db.file);
  const from = db.source === 'env' ? ' (from MAESTRO_DB)' : '';
  const hint = 'make it writable, or set MAESTRO_DB to a file in a writable directory';
  // The nearest existing directory on the way: the data directory itself, or where it will be made.
  let existing = dir;
  while (pathKind(existing) === 'missing' && path.dirname(existing) !== existing) existing = path.dirname(existing);
  const kind = pathKind(existing);
  if (kind !== 'dir')
    return check('database', 'fail', `cannot create ${dir}${from}: ${existing} is not a directory`, hint);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
    if (pathKind(db.file) !== 'missing') {
      if (pathKind(db.file) !== 'file') return check('database', 'fail', `${db.file}${from} is not a file`, hint);
      accessSync(db.file, constants.R_OK | constants.W_OK);
    }
  } catch (error) {
    return check(
      'database',
      'fail',
      `cannot write ${existing === dir ? dir : `${existing} (to create ${dir})`}${from}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`,
      hint,
    );
  }
  return check(
    'database',
    'ok',
    existing === dir ? `${dir}${from} is writable` : `${dir}${from} will be created (${existing} is writable)`,
  );
}

function cliCheck(name: string, bin: string, product: string, npmPackage: string, o: DoctorOptions): Promise<Check> {
  const file = resolveCommand(bin, o.project, o.env);
  const hint = `npm i -g ${npmPackage}`;
  if (!file) return Promise.resolve(check(name, 'warn', `${bin} (${product}) not found on PATH`, hint));
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: 5000, env: o.env, cwd: o.project }, (error, stdout) => {
      const version = stdout.trim().split('\n')[0];
      if (error || !version) {
        const why = error?.killed ? 'no answer within 5 s' : error ? errorMessage(error).split('\n')[0] : 'no output';
        resolve(check(name, 'warn', `${file} --version failed: ${why}`, `reinstall it: ${hint}`));
      } else resolve(check(name, 'ok', `${version} (${file})`));
    });
  });
}

interface Found {
  where: string;
  entry: Record<string, unknown>;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function claudeServerCheck(o: DoctorOptions): Check {
  const name = 'claude mcp';
  const home = locations('user', o.project, o.env).home;
  const projectJson = path.join(o.project, '.mcp.json');
  const userJson = claudeUserJson(o.env);
  const show = (file: string) => displayPath(file, o.project, home);
  const found: Found[] = [];
  for (const [file, pick] of [
    [projectJson, (doc: unknown) => [['', doc]]],
    [
      userJson,
      (doc: unknown) => [
        [' (user)', doc],
        [' (local)', isObject(doc) && isObject(doc.projects) ? doc.projects[o.project] : undefined],
      ],
    ],
  ] as const) {
    if (pathKind(file) === 'missing') continue;
    let doc: unknown;
    try {
      doc = readJson(file);
    } catch (error) {
      return check(
        name,
        'fail',
        `${show(file)} cannot be read: ${errorMessage(error)}`,
        'fix the file (Claude Code ignores it while it is broken)',
      );
    }
    for (const [label, holder] of pick(doc) as [string, unknown][]) {
      const servers = isObject(holder) ? holder.mcpServers : undefined;
      const entry = isObject(servers) ? servers[SERVER_NAME] : undefined;
      if (isObject(entry)) found.push({ where: `${show(file)}${label}`, entry });
    }
  }
  const result = serverResult(name, found, o, 'claude');
  const shared = found.find((f) => f.where === show(projectJson));
  if (result.status !== 'ok' || !shared) return result;
  return unshareable(result, shared.entry, o, show) ?? withApproval(result, o, show);
}

/** The project's .mcp.json is shared with teammates: a path outside the project, or one that goes away, is not. */
function unshareable(
  result: Check,
  entry: Record<string, unknown>,
  o: DoctorOptions,
  show: (file: string) => string,
): Check | undefined {
  for (const file of entryPaths(entry, o.project)) {
    const rel = path.relative(o.project, file);
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    const why = inside ? undefined : (volatilePath(file) ?? 'outside the project');
    if (why) {
      return check(
        result.name,
        'warn',
        `${result.message}, but ${show(projectJson(o))} names ${file}, ${why}: teammates who share the file cannot start it`,
        "put maestro on the PATH ('npm i -g maestro-tools') and run maestro install --claude again (it writes 'maestro mcp')",
      );
    }
  }
  return undefined;
}

const projectJson = (o: DoctorOptions) => path.join(o.project, '.mcp.json');

/** A server of the project's .mcp.json runs only once the user approved it in Claude Code. */
function withApproval(result: Check, o: DoctorOptions, show: (file: string) => string): Check {
  const approval = projectServerApproval(o.project, SERVER_NAME, o.env);
  const local = show(path.join(o.project, '.claude', 'settings.local.json'));
  if (approval.state === 'approved') return result;
  if (approval.state === 'disabled') {
    return check(
      result.name,
      'warn',
      `${result.message}, but it is disabled in ${show(approval.where!)} (disabledMcpjsonServers): Claude Code does not start it`,
      `take ${SERVER_NAME} out of disabledMcpjsonServers there, or enable it with /mcp in Claude Code`,
    );
  }
  if (approval.where !== undefined) {
    return check(
      result.name,
      'warn',
      `${result.message}, approved in ${show(approval.where)}, but Claude Code does not trust this folder yet: pending approval`,
      `start claude in ${o.project} once and accept the trust dialog`,
    );
  }
  return check(
    result.name,
    'warn',
    `${result.message}, but Claude Code has not approved it yet ('claude mcp list': pending approval)`,
    `start claude in ${o.project} and approve ${SERVER_NAME} when asked, or add "enabledMcpjsonServers": ["${SERVER_NAME}"] to ${local} (read once the folder is trusted)`,
  );
}

function codexServerCheck(o: DoctorOptions): Check {
  const name = 'codex mcp';
  const file = codexConfig(o.env);
  const home = locations('user', o.project, o.env).home;
  const where = displayPath(file, undefined, home);
  if (pathKind(file) === 'missing') return serverResult(name, [], o, 'codex');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    findBlock(text);
  } catch (error) {
    return check(
      name,
      'fail',
      `${where} cannot be read: ${errorMessage(error)}`,
      'fix the file, then run maestro install --codex',
    );
  }
  const server = readServer(text, SERVER_NAME);
  if (!server) return serverResult(name, [], o, 'codex');
  const result = serverResult(
    name,
    [{ where, entry: { command: server.command, args: server.args ?? [] } }],
    o,
    'codex',
  );
  if (result.status !== 'ok') return result;
  if (!server.approves) {
    return check(
      name,
      'warn',
      `${result.message}, but its tools need approval (codex exec refuses every call)`,
      `add default_tools_approval_mode = "approve" to it, or remove it and run maestro install --codex`,
    );
  }
  const longestWait = WAIT_MAX_MS / 1000;
  if (server.toolTimeoutSec === undefined || server.toolTimeoutSec <= longestWait) {
    const now =
      server.toolTimeoutSec === undefined
        ? 'has no tool_timeout_sec (Codex: 300 s)'
        : `has tool_timeout_sec = ${server.toolTimeoutSec}`;
    return check(
      name,
      'warn',
      `${result.message}, but it ${now}: Codex ends a wait_agent longer than that, and waits may last ${longestWait} s`,
      `run maestro install --codex, or set tool_timeout_sec = ${CODEX_TOOL_TIMEOUT_SEC} in [mcp_servers.${SERVER_NAME}]`,
    );
  }
  return result;
}

function serverResult(name: string, found: Found[], o: DoctorOptions, client: Client): Check {
  const install = `maestro install --${client}`;
  if (found.length === 0) {
    return check(
      name,
      'warn',
      `no ${SERVER_NAME} server registered for ${client === 'claude' ? 'Claude Code' : 'Codex'}`,
      `run ${install}`,
    );
  }
  for (const { where, entry } of found) {
    if (typeof entry.url === 'string') continue; // a remote server: nothing on disk to check
    const problem = registrationProblem(entry, o.project, o.env);
    if (problem) {
      return check(
        name,
        'fail',
        `${SERVER_NAME} in ${where} cannot start: ${problem}`,
        `run ${install} to register this installation (--force if that entry is not maestro's)`,
      );
    }
  }
  return check(
    name,
    'ok',
    found
      .map(
        ({ where, entry }) =>
          `${SERVER_NAME} in ${where}: ${typeof entry.url === 'string' ? entry.url : describeEntry(entry)}`,
      )
      .join('; '),
  );
}

function skillsCheck(client: Client, o: DoctorOptions): Check {
  const name = `${client} skills`;
  const root = packageRoot(o.env);
  const files = sourceFiles(root, client);
  const skills = [...new Set(files.flatMap((f) => (f.skill ? [f.skill] : [])))];
  if (skills.length === 0) return check(name, 'warn', `the package has no skills (${path.join(root, 'skills')})`);
  const current: string[] = [];
  for (const scope of ['project', 'user'] as Scope[]) {
    const loc = locations(scope, o.project, o.env);
    const dest = (relative: string) => path.join(loc.base[client], ...relative.split('/'));
    let manifest: Manifest | undefined;
    try {
      manifest = readManifest(loc.manifest, loc.root, scope);
    } catch {
      manifest = undefined;
    }
    const recorded = manifest !== undefined && hasClientRecords(manifest, client);
    const present = skills.some((s) => pathKind(dest(`skills/${s}/SKILL.md`)) === 'file');
    if (!recorded && !present) continue;
    // A copy that differs from what maestro wrote is the user's edit (install keeps it); one that
    // is as maestro wrote it but not the package's content is out of date.
    const edited: string[] = [];
    const stale = files.filter((f) => {
      const file = dest(f.relative);
      if (pathKind(file) !== 'file') return true;
      const current = sha256(readFileSync(file));
      if (current === sha256(desiredContent(f, client))) return false;
      const written = manifest?.files.find((r) => r.path === file)?.sha256;
      if (written !== undefined && written !== current) {
        edited.push(file);
        return false;
      }
      return true;
    });
    const shown = (file: string) => displayPath(file, scope === 'project' ? o.project : undefined, loc.home);
    const flags = `--${client}${scope === 'user' ? ' --user' : ''}`;
    if (stale.length) {
      const first = dest(stale[0]!.relative);
      const foreign = stale.some((f) => {
        const file = dest(f.relative);
        return pathKind(file) === 'file' && !manifest?.files.some((r) => r.path === file);
      });
      return check(
        name,
        'fail',
        `${shown(first)} ${pathKind(first) === 'file' ? "differs from the package's copy" : 'is missing'}` +
          (stale.length > 1 ? ` (and ${stale.length - 1} more)` : ''),
        foreign
          ? `run maestro install ${flags} --force (a copy maestro did not write is kept for uninstall to put back)`
          : `run maestro install ${flags}`,
      );
    }
    current.push(
      `${shown(path.join(loc.base[client], 'skills'))} (${scope})` +
        (edited.length
          ? `, changed locally: ${edited.map(shown).join(', ')} (yours: install keeps it; --force takes maestro's)`
          : ''),
    );
  }
  if (current.length === 0)
    return check(name, 'warn', `not installed (${skills.join(', ')})`, `run maestro install --${client}`);
  return check(name, 'ok', `${skills.join(', ')} current in ${current.join(' and ')}`);
}
