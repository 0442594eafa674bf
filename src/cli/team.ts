/** `maestro team`: run a team in this project from the shell, with a lead that maestro runs. */
import { BACKEND_NAMES } from '../backends/types.js';
import { projectRoot } from '../bus/paths.js';
import { newSessionId } from '../agents/session.js';
import { sessionIdField } from '../ops/fields.js';
import { parseRoster } from '../ops/team/roster.js';
import type { TeamStart } from '../ops/team/team.js';
import { MaestroError } from '../errors.js';
import { UsageError, flag, parse, str, strs } from './args.js';
import { budgetFromArgs, budgetOptions } from './budget-options.js';
import { useColor } from './output.js';
import { runTeamInTerminal, type TeamSummary } from './team-run.js';

const HELP = `Usage: maestro team [options] <requirement…>
       maestro team resume <session> [budget options] [--json]

Runs a team in this project: maestro starts the lead (Claude Code, or Codex with
--lead codex) with the team-coordinate skill, the lead runs the workers, and this
terminal follows them live. Worker reports, messages and steering are pushed into
the lead as they arrive. Ctrl-C stops the whole team; 'maestro team resume' picks
it up again.

Options:
  -s, --session ID     Session id (default: a new one, printed)
      --lead CLI       claude (default) or codex
      --model NAME     The lead's model
      --dev N          Developers in the roster
      --review N       Reviewers in the roster
      --test N         Testers in the roster
      --role NAME=N    Any other role (repeatable)
      --json           Print the event feed as JSON lines instead of the view

Budget options (also on resume, to raise them; 'maestro budget' from any shell):
      --budget-usd N     Dollars the team may spend
      --budget-tokens N  Tokens it may use
      --max-agents N     Workers it may spawn
      --max-minutes N    Minutes this run may take
  At 80% of a limit the lead is told; at 100% spawn_agent and followup_task are
  refused and running worker turns are interrupted.
  -h, --help           Show this help

Exit status: 0 when the lead completed, 1 when it failed or the team was
stopped, 2 for a usage error.

While it runs, a line typed here steers the team (as 'maestro steer' does from
another shell); '/list' shows the steering in force, '/clear [ID]' withdraws it.`;

const LEADS = ['claude', 'codex'] as const;

function leadOption(raw: string | undefined): (typeof LEADS)[number] {
  if (raw === undefined) return 'claude';
  if ((LEADS as readonly string[]).includes(raw)) return raw as (typeof LEADS)[number];
  const other = (BACKEND_NAMES as readonly string[]).includes(raw) ? ` (${raw} cannot lead a team)` : '';
  throw new UsageError(`maestro team: --lead must be one of ${LEADS.join(', ')}, got '${raw}'${other}`);
}

function sessionOption(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const checked = sessionIdField.safeParse(raw);
  if (!checked.success) throw new UsageError(`maestro team: --session ${checked.error.issues[0]!.message}`);
  return raw;
}

/** Parses the command line into what to start; a mistake is a UsageError (exit 2). */
export function teamStartFromArgs(argv: string[]): { start: TeamStart; json: boolean } | 'help' {
  const parsed = parse(
    'maestro team',
    argv,
    {
      session: { type: 'string', short: 's' },
      lead: { type: 'string' },
      model: { type: 'string' },
      dev: { type: 'string' },
      review: { type: 'string' },
      test: { type: 'string' },
      role: { type: 'string', multiple: true },
      ...budgetOptions('budget-'),
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (flag(parsed, 'help')) return 'help';
  const json = flag(parsed, 'json');
  const [first, ...rest] = parsed.positionals;
  const budget = budgetFromArgs(first === 'resume' ? 'maestro team resume' : 'maestro team', parsed, 'budget-');
  if (first === 'resume') {
    if (rest.length !== 1)
      throw new UsageError("maestro team resume: give the session to resume (see 'maestro team --help')");
    const given = ['session', 'lead', 'model', 'dev', 'review', 'test', 'role'].filter(
      (o) => parsed.values[o] !== undefined,
    );
    if (given.length)
      throw new UsageError(`maestro team resume: --${given[0]} applies to a new team; a resumed one keeps its own`);
    return { start: { kind: 'resume', sessionId: sessionOption(rest[0])!, budget }, json };
  }
  const requirement = parsed.positionals.join(' ').trim();
  if (!requirement) throw new UsageError("maestro team: say what the team should do (see 'maestro team --help')");
  let roster;
  try {
    roster = parseRoster(
      { dev: str(parsed, 'dev'), review: str(parsed, 'review'), test: str(parsed, 'test') },
      strs(parsed, 'role'),
    );
  } catch (error) {
    if (error instanceof MaestroError) throw new UsageError(`maestro team: ${error.message}`);
    throw error;
  }
  return {
    start: {
      kind: 'new',
      lead: {
        sessionId: sessionOption(str(parsed, 'session')) ?? newSessionId(),
        requirement,
        roster,
        backend: leadOption(str(parsed, 'lead')),
        model: str(parsed, 'model'),
      },
      budget,
    },
    json,
  };
}

/** 0 when the lead completed and nothing was left running; 1 otherwise. */
export function teamExitCode(summary: TeamSummary): number {
  return summary.end.outcome === 'completed' && summary.leftover.length === 0 ? 0 : 1;
}

export async function runTeamCommand(argv: string[]): Promise<number> {
  const request = teamStartFromArgs(argv);
  if (request === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const summary = await runTeamInTerminal({
    project: projectRoot(process.cwd()),
    env: process.env,
    start: request.start,
    out: (line) => process.stdout.write(`${line}\n`),
    color: useColor() && !request.json,
    json: request.json,
    input: process.stdin,
  });
  // Typed lines steer while the team runs; afterwards nothing more is read.
  process.stdin.destroy();
  return teamExitCode(summary);
}
