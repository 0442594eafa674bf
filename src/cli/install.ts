/**
 * `maestro install` and `maestro uninstall`: put the skills, the /team-coordinate command, the
 * agent files and the maestro-tools server registration where Claude Code and Codex look for
 * them (a project, or the user's home), and take back exactly that. One line per change;
 * --dry-run prints the same lines without writing anything.
 */
import { MaestroError } from '../errors.js';
import { install } from '../install/install.js';
import { codexProjectConfig } from '../install/project-lines.js';
import { PAST, visibleSteps, type Plan, type PlanOptions } from '../install/plan.js';
import { COMMANDS, packageRoot, skillNames, type Client } from '../install/sources.js';
import { uninstall } from '../install/uninstall.js';
import { UsageError, flag, parse, projectDirOption, str } from './args.js';
import { paint, useColor } from './output.js';

const INSTALL_HELP = `Usage: maestro install [--claude] [--codex] [--project <dir> | --user] [--dry-run] [--force]

Install maestro for Claude Code and/or Codex: the skills, the /team-coordinate
command and agent files, and the maestro-tools MCP server (this installation's
'node <package>/dist/bin/main.js mcp').

  Claude Code, project: .claude/skills|commands|agents/ and .mcp.json
  Claude Code, user:    ~/.claude/skills|commands|agents/ and ~/.claude.json
  Codex, project:       .agents/skills/
  Codex, user:          ~/.agents/skills/
  Codex server:         ~/.codex/config.toml (Codex's configuration is per user)
  Codex, project:       .codex/config.toml [features] multi_agent = false (Codex's
                        own spawn_agent, wait_agent, … off in this project only)
  Project:              .maestro/ added to .gitignore

What it adds is recorded in .maestro/install.json (~/.maestro/install.json for
--user); 'maestro uninstall' takes back exactly that. Running it again changes
only what is out of date. A file or entry that exists and was not written by
maestro is left alone and reported as a conflict (exit 1) unless --force; a copy
you edited since maestro installed it is yours: it is kept, with a warning.

Options:
      --claude         Install for Claude Code (default: both clients)
      --codex          Install for Codex (default: both clients)
      --project <dir>  Install into this project (default: the git top-level of
                       the current directory, else the current directory)
      --user           Install for the user (every project) instead
      --dry-run        Print what would change; write nothing
      --force          Overwrite files and entries not written by maestro
                       (the originals are kept and restored by uninstall),
                       and copies you edited since maestro installed them
  -h, --help           Show this help

Environment: HOME, CLAUDE_CONFIG_DIR (Claude Code's user folder, default ~/.claude),
CODEX_HOME (default ~/.codex).`;

const UNINSTALL_HELP = `Usage: maestro uninstall [--claude] [--codex] [--project <dir> | --user] [--dry-run]

Take back what 'maestro install' recorded in .maestro/install.json (or
~/.maestro/install.json for --user): the files it created — a file changed since
is kept, with a warning — the maestro-tools registration it added (or the entry
--force replaced, put back), and the directories it created, once empty.
Everything else stays as it is.

Options:
      --claude         Uninstall for Claude Code (default: both clients)
      --codex          Uninstall for Codex (default: both clients)
      --project <dir>  The project (default: the git top-level of the current
                       directory, else the current directory)
      --user           Uninstall what --user installed
      --dry-run        Print what would change; write nothing
  -h, --help           Show this help`;

const CLIENT_NAMES: Record<Client, string> = { claude: 'Claude Code', codex: 'Codex' };

function options(command: 'install' | 'uninstall', argv: string[]): PlanOptions | undefined {
  const cmd = `maestro ${command}`;
  const parsed = parse(
    cmd,
    argv,
    {
      claude: { type: 'boolean' },
      codex: { type: 'boolean' },
      project: { type: 'string' },
      user: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      ...(command === 'install' ? { force: { type: 'boolean' } } : {}),
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (flag(parsed, 'help')) {
    process.stdout.write(`${command === 'install' ? INSTALL_HELP : UNINSTALL_HELP}\n`);
    return undefined;
  }
  if (parsed.positionals.length)
    throw new UsageError(`${cmd}: unexpected '${parsed.positionals[0]}' (see '${cmd} --help')`);
  const projectFlag = str(parsed, 'project');
  if (projectFlag !== undefined && flag(parsed, 'user')) {
    throw new UsageError(`${cmd}: --project and --user exclude each other (see '${cmd} --help')`);
  }
  const project = projectDirOption(parsed);
  const chosen = (['claude', 'codex'] as const).filter((c) => flag(parsed, c));
  return {
    scope: flag(parsed, 'user') ? 'user' : 'project',
    project,
    clients: chosen.length ? [...chosen] : ['claude', 'codex'],
    dryRun: flag(parsed, 'dry-run'),
    force: flag(parsed, 'force'),
    env: process.env,
  };
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function where(o: PlanOptions): string {
  return o.scope === 'user' ? 'for the user' : `in ${o.project}`;
}

function clientList(clients: readonly Client[]): string {
  return clients.map((c) => CLIENT_NAMES[c]).join(' and ');
}

/** Prints the plan's lines (present tense for a dry run), its warnings and conflicts. */
function report(plan: Plan): number {
  const { dryRun } = plan.options;
  for (const step of visibleSteps(plan)) out(`${dryRun ? step.verb : PAST[step.verb]} ${step.subject}`);
  const color = useColor(process.stderr);
  for (const warning of plan.warnings) err(`${paint(color, 'yellow', 'warning')}: ${warning}`);
  for (const c of plan.conflicts) err(`${paint(color, 'red', 'conflict')} ${c.subject}: ${c.reason}`);
  return visibleSteps(plan).length;
}

function conflictError(plan: Plan): MaestroError {
  const n = plan.conflicts.length;
  const forceable = plan.conflicts.some((c) => c.forceable);
  return new MaestroError(
    'conflict',
    `${n} conflict${n === 1 ? '' : 's'}: left alone${plan.options.dryRun ? ' (dry run)' : ''}` +
      (forceable ? '; rerun with --force to overwrite what maestro did not write (uninstall puts it back)' : ''),
  );
}

export async function runInstall(argv: string[]): Promise<number> {
  const o = options('install', argv);
  if (!o) return 0;
  const plan = install(o);
  const changed = report(plan);
  const codexConfig = `${plan.show(plan.loc.codexConfig)}: `;
  const codexNote = o.scope === 'project' && visibleSteps(plan).some((step) => step.subject.startsWith(codexConfig));
  const featuresFile = `${plan.show(codexProjectConfig(o.project))}: `;
  const featuresNote = visibleSteps(plan).some((s) => s.verb !== 'remove' && s.subject.startsWith(featuresFile));
  if (changed === 0 && plan.conflicts.length === 0) {
    out(`maestro is already installed for ${clientList(o.clients)} ${where(o)}: nothing to change.`);
  } else if (changed > 0) {
    if (codexNote) {
      out(
        `note: Codex reads MCP servers only from its per-user config (${plan.show(plan.loc.codexConfig)}), ` +
          'so maestro-tools is registered there, for every project.',
      );
    }
    if (featuresNote) {
      out(
        `note: Codex reads .codex/config.toml only in a project you trust (Codex asks the first time it starts ` +
          `in ${o.project}; 'maestro doctor' tells whether its own multi-agent tools are off here).`,
      );
    }
    if (o.dryRun) out('dry run: nothing was written.');
    else for (const line of nextSteps(o)) out(line);
  }
  if (plan.conflicts.length) throw conflictError(plan);
  return 0;
}

function nextSteps(o: PlanOptions): string[] {
  const root = packageRoot(o.env);
  const skills = skillNames(root);
  const skill = skills.includes('team-coordinate') ? 'team-coordinate' : skills[0];
  const command = COMMANDS[0]!.replace(/\.md$/, '');
  const lines = ['Next:'];
  if (o.clients.includes('claude')) {
    lines.push(
      o.scope === 'project'
        ? `  Claude Code: restart it in ${o.project} and approve the project's maestro-tools server when asked ` +
            `('claude mcp list' shows it); then type /${command} <what to build>.`
        : `  Claude Code: restart it to load maestro-tools; then type /${command} <what to build> in any project.`,
    );
  }
  if (o.clients.includes('codex')) {
    lines.push(
      `  Codex: start codex ${o.scope === 'project' ? `in ${o.project}` : 'in any project'}` +
        (skill ? ` and type $${skill} <what to build>.` : '.'),
    );
  }
  lines.push("  Check the set-up any time with 'maestro doctor'.");
  return lines;
}

export async function runUninstall(argv: string[]): Promise<number> {
  const o = options('uninstall', argv);
  if (!o) return 0;
  const plan = uninstall(o);
  if (plan.steps.length === 0) {
    out(
      `maestro is not installed for ${clientList(o.clients)} ${where(o)} (per ${plan.show(plan.loc.manifest)}): nothing to remove.`,
    );
    return 0;
  }
  const changed = report(plan);
  if (changed === 0) out('nothing to remove: what maestro installed is gone already.');
  if (o.dryRun) out('dry run: nothing was changed.');
  return 0;
}
