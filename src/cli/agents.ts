/**
 * `maestro agents`: the agents of the project from a shell — a table of them, one in detail
 * (result, usage, the end of its transcript, asked of the machine that ran it when that is
 * another), and closing one.
 */
import { resolveDbPath } from '../bus/paths.js';
import { silentLogger } from '../log.js';
import { createRuntime } from '../mcp/runtime.js';
import { closeAgent } from '../ops/agents/control.js';
import { findAgent } from '../ops/agents/targets.js';
import { agentTranscript } from '../ops/agents/transcript.js';
import { agentView, latestTurn, resultPreview } from '../ops/agents/view.js';
import { budgetLine, sessionBudget, type BudgetView } from '../ops/budget.js';
import { SHELL_USER } from '../ops/caller.js';
import { TRANSCRIPT_READ_MAX } from '../agents/records.js';
import { MaestroError } from '../errors.js';
import { fromSqliteError } from '../bus/storage-errors.js';
import { sessionIdField } from '../ops/fields.js';
import { visible, visibleLines } from '../ops/visible.js';
import { UsageError, flag, int, parse, str, type Parsed } from './args.js';
import { paint, table, useColor } from './output.js';

const MAX_LINES = 10_000;

const HELP = `Usage: maestro agents [list] [-s <session>] [--json]
       maestro agents show <target> [-s <session>] [--lines N] [--json]
       maestro agents close <target> [-s <session>]

The project's worker agents: a table of them, one in detail (its result,
usage and the end of its transcript), or close one and everything below it.
A target is a task name (e.g. IMPL-001) or an agent id. The transcript of a
worker that ran on another machine is read there, through its maestro host.

Options:
  -s, --session <id>   Only this session (default: $MAESTRO_SESSION, else every session)
      --lines <N>      Transcript lines to show (default 20, at most ${MAX_LINES};
                       ${TRANSCRIPT_READ_MAX} for a worker that ran on another machine)
      --db <file>      Database (default: $MAESTRO_DB, else <git top-level>/.maestro/maestro.db)
      --json           Machine-readable output
  -h, --help           Show this help`;

const OPTIONS = {
  session: { type: 'string', short: 's' },
  db: { type: 'string' },
  json: { type: 'boolean' },
  lines: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runAgents(argv: string[]): Promise<number> {
  const known = ['list', 'show', 'close'];
  const verb = argv[0] && known.includes(argv[0]) ? argv[0] : 'list';
  const rest = argv[0] && known.includes(argv[0]) ? argv.slice(1) : argv;
  const cmd = `maestro agents${verb === 'list' ? '' : ` ${verb}`}`;
  const parsed = parse(cmd, rest, OPTIONS, true);
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // A multi-line text under a label: its own lines indented below, so none can pass for ours.
  const block = (label: string, text: string) => {
    const [first, ...more] = visibleLines(text);
    out(`  ${label}: ${first}`);
    for (const line of more) out(`      ${line}`);
  };
  const color = useColor() && !flag(parsed, 'json');
  // Flags are checked before the database is opened: a mistake is reported as itself.
  const session = sessionOption(cmd, str(parsed, 'session') ?? process.env.MAESTRO_SESSION);
  const lines = linesOption(cmd, parsed, verb);
  const dbFile = resolveDbPath({ db: str(parsed, 'db') }).file;
  const runtime = await createRuntime({
    dbFile,
    logger: silentLogger(),
    fallbackCaller: SHELL_USER,
    open: { create: false },
  });
  const deps = runtime.deps.agents;
  try {
    if (verb === 'list') {
      if (parsed.positionals.length)
        throw new UsageError(`${cmd}: unexpected '${parsed.positionals[0]}' (see 'maestro agents --help')`);
      const views = await Promise.all(
        (await deps.agents.list({ sessionId: session })).map(async (a) => ({
          ...(await agentView(deps, a)),
          session_id: a.session_id,
        })),
      );
      const budgets: Record<string, BudgetView> = {};
      for (const id of new Set(views.map((v) => v.session_id))) {
        const budget = await sessionBudget(deps, id);
        if (budget) budgets[id] = budget;
      }
      if (flag(parsed, 'json')) return (out(JSON.stringify({ agents: views, budgets }, null, 2)), 0);
      if (views.length === 0) {
        process.stderr.write(`no agents${session ? ` in session ${session}` : ''}\n`);
        return 0;
      }
      const rows = views.map((v) => [
        v.session_id,
        v.task_name,
        v.status,
        `${v.agent_type}/${v.backend}`,
        String(v.turns),
        v.pid === null ? '-' : String(v.pid),
        v.latest_progress ?? '-',
      ]);
      for (const line of table(['SESSION', 'TASK', 'STATUS', 'TYPE', 'TURNS', 'PID', 'LATEST PROGRESS'], rows, color))
        out(line);
      for (const [id, budget] of Object.entries(budgets)) out(`budget ${id}: ${budgetLine(budget)}`);
      return 0;
    }

    const target = parsed.positionals[0];
    if (!target || parsed.positionals.length > 1) throw new UsageError(`${cmd}: give one agent (task name or id)`);
    const agent = session
      ? await findAgent(deps, session, target)
      : ((await deps.agents.get(target)) ?? (await findAcrossSessions(deps, target)));

    if (verb === 'close') {
      const result = await closeAgent(deps, runtime.deps.caller, { target: agent.id, session_id: agent.session_id });
      out(`closed ${result.closed.join(', ')} (was ${result.previous_status})`);
      for (const w of result.worktrees.filter((w) => w.kept))
        out(`kept worktree ${w.path} on branch ${w.branch}: it has changes`);
      return 0;
    }

    const view = await agentView(deps, agent);
    const turn = await latestTurn(deps, agent);
    const full = resultPreview(agent, turn, 1_000_000);
    const transcript = await agentTranscript(deps, runtime.deps.caller, agent, lines);
    if (flag(parsed, 'json')) {
      out(
        JSON.stringify(
          { agent: { ...view, result: full }, turns: await deps.agents.turns(agent.id), transcript },
          null,
          2,
        ),
      );
      return 0;
    }
    // Everything below came from the agent or its worker: shown, never obeyed (visible).
    const v = (text: string | null | undefined) => visible(text ?? '-');
    out(`${paint(color, 'bold', v(agent.task_name))} ${v(agent.status)}${view.error ? ` (${v(view.error)})` : ''}`);
    out(
      `  agent ${v(agent.id)} · session ${v(agent.session_id)} · ${v(agent.agent_type)}/${v(agent.backend)}${agent.model ? ` · ${v(agent.model)}` : ''}`,
    );
    out(
      `  turns ${agent.turn} · pid ${agent.pid ?? '-'} · cwd ${v(agent.cwd)}${agent.branch ? ` · branch ${v(agent.branch)}` : ''}`,
    );
    if (view.turn_deadline || view.queued_followups)
      out(
        `  turn deadline ${v(view.turn_deadline)} · ${view.queued_followups} follow-up${view.queued_followups === 1 ? '' : 's'} queued`,
      );
    out(
      `  usage ${agent.input_tokens} in (${agent.cached_input_tokens} cached) / ${agent.output_tokens} out tokens · $${agent.cost_usd.toFixed(4)}`,
    );
    block('task', agent.last_task_message ?? '-');
    block('result', full === null ? '-' : typeof full === 'string' ? full : JSON.stringify(full, null, 2));
    out(`  transcript (last ${transcript.length} lines):`);
    for (const line of transcript) out(`    ${visible(line)}`);
    return 0;
  } catch (error) {
    throw fromSqliteError(dbFile, error);
  } finally {
    await runtime.close();
  }
}

function sessionOption(cmd: string, session: string | undefined): string | undefined {
  if (session === undefined) return undefined;
  const check = sessionIdField.safeParse(session);
  if (!check.success) throw new UsageError(`${cmd}: --session '${session}': ${check.error.issues[0]?.message}`);
  return session;
}

function linesOption(cmd: string, parsed: Parsed, verb: string): number {
  const lines = int(cmd, parsed, 'lines');
  if (lines === undefined) return 20;
  if (verb !== 'show') throw new UsageError(`${cmd}: --lines applies to 'maestro agents show' only`);
  if (lines < 1 || lines > MAX_LINES) throw new UsageError(`${cmd}: --lines expects 1 to ${MAX_LINES}, got ${lines}`);
  return lines;
}

async function findAcrossSessions(deps: Parameters<typeof agentView>[0], target: string) {
  const matches = (await deps.agents.list({})).filter((a) => a.task_name === target);
  const open = matches.filter((a) => a.status !== 'shutdown');
  const pick = open.length === 1 ? open[0] : matches.length === 1 ? matches[0] : undefined;
  if (pick) return pick;
  if (matches.length === 0) throw new MaestroError('not_found', `no agent named ${target}`);
  const sessions = [...new Set(matches.map((a) => a.session_id))].join(', ');
  throw new UsageError(`maestro agents: ${target} names agents in several sessions (${sessions}); add -s <session>`);
}
