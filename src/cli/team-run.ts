/**
 * Runs a team in a terminal: the one code path of `maestro team`, `maestro team resume` and
 * `maestro demo`. This process runs the lead (ops/team), follows the session's feed in the live
 * view, stops the whole team on Ctrl-C, and ends with the lead's report, the bus timeline and a
 * summary. Nothing it started is left running when it returns.
 */
import { createInterface, type Interface } from 'node:readline';
import { reconcileOrphans } from '../agents/reconcile.js';
import { MaestroError, errorMessage } from '../errors.js';
import { clearSteering, giveSteering } from '../ops/steering.js';
import type { Store } from '../store/store.js';
import { processAlive } from '../agents/liveness.js';
import { resolveDbPath } from '../bus/paths.js';
import { createLogger, logFilePath } from '../log.js';
import { createRuntime } from '../mcp/runtime.js';
import { budgetLine, sessionBudget } from '../ops/budget.js';
import { SHELL_USER } from '../ops/caller.js';
import type { TeamEnd } from '../ops/team/drive.js';
import { runTeam, type TeamStart } from '../ops/team/team.js';
import type { AgentRecord } from '../store/records.js';
import { visibleLines } from '../ops/visible.js';
import { messageLines, paint } from './output.js';
import { teamView, type TeamView } from './team-view.js';

export interface TerminalTeam {
  /** The project's root: the lead works there, its database is in its .maestro. */
  project: string;
  /** The environment the lead (and so every worker) starts from. */
  env: NodeJS.ProcessEnv;
  start: TeamStart;
  out: (line: string) => void;
  color: boolean;
  json: boolean;
  /** Stops the team when aborted, as Ctrl-C does. */
  signal?: AbortSignal | undefined;
  /** Lines typed here steer the team (`/clear [ID]` withdraws, `/list` shows what is in force). */
  input?: NodeJS.ReadableStream | undefined;
}

export interface TeamSummary {
  session: string;
  end: TeamEnd;
  agents: AgentRecord[];
  turns: number;
  messages: number;
  tokens: { input: number; cached: number; output: number };
  cost_usd: number;
  seconds: number;
  /** Agent processes still alive at the end (there should be none). */
  leftover: number[];
}

export async function runTeamInTerminal(team: TerminalTeam): Promise<TeamSummary> {
  const { out, color, json } = team;
  const started = Date.now();
  const dbFile = resolveDbPath({ cwd: team.project, env: team.env }).file;
  const logger = createLogger({ file: logFilePath(dbFile, team.env), name: 'maestro-team' });
  const runtime = await createRuntime({ dbFile, logger, env: team.env, fallbackCaller: SHELL_USER });
  const deps = runtime.deps.agents;
  const stop = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) view?.note('stopping the team (Ctrl-C)…');
    stop.abort();
  };
  const onAbort = () => stop.abort();
  team.signal?.addEventListener('abort', onAbort, { once: true });
  process.on('SIGINT', onSigint);
  let view = null as TeamView | null;
  let typing = null as Interface | null;
  const following = new AbortController();
  let follower: Promise<void> = Promise.resolve();
  try {
    await reconcileOrphans(deps.agents, logger, deps.config.config.limits.stop_grace_ms, dbFile);
    const end = await runTeam(deps, team.start, {
      dbFile,
      signal: stop.signal,
      onLead: async (lead) => {
        const budget = async () => {
          const use = await sessionBudget(deps, lead.session_id);
          return use && budgetLine(use);
        };
        view = teamView({ store: deps.store, sessionId: lead.session_id, out, color, json, started, budget });
        if (team.input) typing = steerFrom(team.input, deps.store, lead.session_id, view);
        if (!json) {
          out(`${paint(color, 'bold', 'maestro team')} — session ${lead.session_id}, lead ${lead.backend}`);
          out(`project  ${team.project}`);
          out(
            `watch    maestro msg list -s ${lead.session_id}    steer  maestro steer -s ${lead.session_id} "<directive>"`,
          );
          const limits = await budget();
          if (limits) out(`budget   ${limits}    raise  maestro budget -s ${lead.session_id} --usd N …`);
          out('');
        }
        const v = view;
        follower = (async () => {
          while (!following.signal.aborted) {
            await v.poll();
            await deps.store.changes.next(1000, following.signal);
          }
        })();
      },
      onPush: (lead) => view?.note(`news pushed to the lead: turn ${lead.turn + 1}`),
    });
    following.abort();
    await follower;
    await view?.poll();
    return await summarise(team, deps, end, started);
  } finally {
    typing?.close();
    following.abort();
    await follower.catch(() => undefined);
    process.off('SIGINT', onSigint);
    team.signal?.removeEventListener('abort', onAbort);
    await runtime.close();
  }
}

/** Each line typed into the view is a steering directive for the team, or a command about them. */
function steerFrom(input: NodeJS.ReadableStream, store: Store, sessionId: string, view: TeamView): Interface {
  const lines = createInterface({ input, terminal: false });
  lines.on('line', (line) => {
    const text = line.trim();
    if (!text) return;
    const act = async () => {
      const command = /^\/(clear|list)\b\s*(.*)$/.exec(text);
      if (command?.[1] === 'list') {
        const active = await store.steering.active(sessionId);
        view.note(active.length ? active.map((d) => `#${d.id} ${d.text}`).join(' · ') : 'no steering in force');
      } else if (command?.[1] === 'clear') {
        const id = command[2] ? Number(command[2].replace(/^#/, '')) : undefined;
        if (id !== undefined && !Number.isSafeInteger(id))
          throw new MaestroError('invalid_input', `/clear takes a directive id (like /clear 2), not '${command[2]}'`);
        const cleared = await clearSteering(store, SHELL_USER, sessionId, id);
        view.note(cleared.length ? `cleared ${cleared.map((d) => `#${d.id}`).join(', ')}` : 'no steering was in force');
      } else {
        await giveSteering(store, SHELL_USER, sessionId, text);
      }
    };
    act().catch((error: unknown) => view.note(`not steered: ${errorMessage(error)}`));
  });
  return lines;
}

async function summarise(
  team: TerminalTeam,
  deps: Awaited<ReturnType<typeof createRuntime>>['deps']['agents'],
  end: TeamEnd,
  started: number,
): Promise<TeamSummary> {
  const { out, color, json } = team;
  const session = end.lead.session_id;
  const agents = await deps.agents.list({ sessionId: session });
  const timeline = await deps.store.messages.list(session, {}, { limit: 100 });
  const leftover = agents.flatMap((a) => (a.pid !== null && processAlive(a.pid) ? [a.pid] : []));
  const sum = (pick: (a: AgentRecord) => number) => agents.reduce((total, a) => total + pick(a), 0);
  const budget = await sessionBudget(deps, session);
  const summary: TeamSummary = {
    session,
    end,
    agents,
    turns: sum((a) => a.turn),
    messages: timeline.total,
    tokens: {
      input: sum((a) => a.input_tokens),
      cached: sum((a) => a.cached_input_tokens),
      output: sum((a) => a.output_tokens),
    },
    cost_usd: sum((a) => a.cost_usd),
    seconds: (Date.now() - started) / 1000,
    leftover,
  };
  if (json) {
    out(
      JSON.stringify({
        type: 'team_end',
        session_id: session,
        outcome: end.outcome,
        reason: end.reason,
        report: end.report,
        agents: agents.map((a) => ({ task_name: a.task_name, status: a.status, turns: a.turn })),
        turns: summary.turns,
        messages: summary.messages,
        tokens: summary.tokens,
        cost_usd: summary.cost_usd,
        budget,
        seconds: summary.seconds,
        leftover,
      }),
    );
    return summary;
  }
  out('');
  if (end.report) {
    out(paint(color, 'bold', 'The lead’s report'));
    for (const line of visibleLines(end.report)) out(`  ${line}`);
    out('');
  }
  out(paint(color, 'bold', `The bus — maestro msg list -s ${session}`));
  for (const line of messageLines(timeline.messages, color)) out(line);
  out('');
  out(paint(color, 'bold', 'Summary'));
  const outcome =
    end.outcome === 'completed'
      ? paint(color, 'green', 'completed')
      : paint(color, 'red', `${end.outcome}${end.reason ? `: ${end.reason}` : ''}`);
  out(`  team      ${outcome}`);
  out(`  agents    ${agents.length}: ${agents.map((a) => `${a.task_name} ${a.status}`).join(', ')}`);
  out(`  turns     ${summary.turns}`);
  out(`  messages  ${summary.messages}`);
  out(`  tokens    ${summary.tokens.input} in (${summary.tokens.cached} cached), ${summary.tokens.output} out`);
  out(`  cost      $${summary.cost_usd.toFixed(4)}`);
  if (budget) out(`  budget    ${budgetLine(budget)}`);
  out(`  time      ${summary.seconds.toFixed(1)} s`);
  out(`  processes left behind: ${leftover.length}`);
  if (end.outcome !== 'completed') out(`  resume    maestro team resume ${session}`);
  return summary;
}
