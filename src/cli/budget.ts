/** `maestro budget`: what a session's team may spend and has spent; raise or set its limits. */
import { resolveDbPath } from '../bus/paths.js';
import { silentLogger } from '../log.js';
import { createRuntime } from '../mcp/runtime.js';
import { budgetLine, sessionBudget, setBudget } from '../ops/budget.js';
import { SHELL_USER } from '../ops/caller.js';
import { flag, parse, str } from './args.js';
import { budgetFromArgs, budgetOptions } from './budget-options.js';
import { knownSession } from '../ops/sessions.js';
import { teamSession } from './context.js';

const HELP = `Usage: maestro budget -s <session> [--json]
       maestro budget -s <session> [--usd N] [--tokens N] [--max-agents N] [--max-minutes N]

Shows what the session's team has used of its budget, or sets its limits (a
limit not given stays as it was). At 80% of a limit the lead (or coordinator) is
told; at 100% spawn_agent and followup_task are refused and the running worker
turns are interrupted, until the limit is raised here. limits.budget in
.maestro/config.json gives every session a budget; a session's own wins.

Options:
  -s, --session ID     The team's session (default: $MAESTRO_SESSION)
      --usd N          Dollars (Claude Code's reported cost; Codex's tokens priced)
      --tokens N       Input and output tokens
      --max-agents N   Agents spawned (the lead not counted)
      --max-minutes N  Minutes since the team started (or the budget was first set)
      --json           JSON output
      --db FILE        Database (default: $MAESTRO_DB, else <git top-level>/.maestro/maestro.db)
  -h, --help           Show this help`;

export async function runBudget(argv: string[]): Promise<number> {
  const cmd = 'maestro budget';
  const parsed = parse(
    cmd,
    argv,
    {
      session: { type: 'string', short: 's' },
      ...budgetOptions(''),
      json: { type: 'boolean' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const session = teamSession(cmd, parsed);
  const limits = budgetFromArgs(cmd, parsed, '');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const runtime = await createRuntime({
    dbFile: resolveDbPath({ db: str(parsed, 'db') }).file,
    logger: silentLogger(),
    fallbackCaller: SHELL_USER,
    open: { create: false },
  });
  try {
    const deps = runtime.deps.agents;
    await knownSession(deps.store, session);
    const view =
      Object.keys(limits).length > 0
        ? await setBudget(deps, session, limits, { restart: false })
        : await sessionBudget(deps, session);
    if (flag(parsed, 'json')) out(JSON.stringify({ session_id: session, budget: view }, null, 2));
    else if (!view) out(`session ${session} has no budget (set one with ${cmd} -s ${session} --usd N …)`);
    else out(`budget ${session}: ${budgetLine(view)}`);
    return 0;
  } finally {
    await runtime.close();
  }
}
