/** `maestro demo`: watch a coordinator run a team of real Claude Code workers, offline by default. */
import { runDemo } from '../demo/run.js';
import { DEMO_REQUIREMENT } from '../demo/sample-project.js';
import { flag, parse, str } from './args.js';
import { useColor } from './output.js';
import { teamExitCode } from './team.js';

const HELP = `Usage: maestro demo [--live] [--keep] [--requirement TEXT]

Runs 'maestro team' once, in a temporary copy of a small project: maestro starts a
real Claude Code lead with the team-coordinate skill, and the lead runs a team of
real Claude Code workers (planner, implementer, tester) and a supervisor; their
news is pushed into the lead as it arrives. Offline, a scripted model plays every
agent; no key and no network are needed. The terminal follows the team, then
prints the lead's report, the message bus timeline and a summary.

Options:
      --live               Use the real model (needs ANTHROPIC_API_KEY)
      --keep               Keep the temporary project afterwards, to look around
      --requirement TEXT   What the team should do (default: "${DEMO_REQUIREMENT}")
  -h, --help               Show this help

Needs Claude Code: npm install -g @anthropic-ai/claude-code`;

export async function runDemoCommand(argv: string[]): Promise<number> {
  const parsed = parse(
    'maestro demo',
    argv,
    {
      live: { type: 'boolean' },
      keep: { type: 'boolean' },
      requirement: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const summary = await runDemo({
    live: flag(parsed, 'live'),
    keep: flag(parsed, 'keep'),
    requirement: str(parsed, 'requirement'),
    out: (line) => process.stdout.write(`${line}\n`),
    color: useColor(),
  });
  return teamExitCode(summary.team);
}
