/**
 * Runs a team to its end from the process that runs its lead. Whenever the lead is between turns
 * and has news, mail or steering it has not been given, maestro starts its next turn with them
 * (ops/team/inbox.ts); what arrives during a turn joins it where the CLI allows (the supervisor
 * takes it from the same inbox). The team is done when the lead's turn has ended, nothing waits
 * for it and none of its agents is in a turn: the lead's last answer is its report.
 */
import { isInTurn } from '../../agents/status.js';
import type { AgentRecord } from '../../store/records.js';
import type { AgentDeps } from '../agents/deps.js';
import { latestTurn } from '../agents/view.js';
import { hasInbox, leadInbox, leadTurnText, takeInbox } from './inbox.js';

export type TeamOutcome = 'completed' | 'errored' | 'stopped';

export interface TeamEnd {
  outcome: TeamOutcome;
  lead: AgentRecord;
  /** The lead's last answer: its report when it completed. */
  report: string | null;
  /** Why it did not complete. */
  reason: string | null;
}

export interface DriveOptions {
  /** Aborted when the person stops the team (Ctrl-C). */
  signal: AbortSignal;
  /** Told each time news starts a turn of the lead. */
  onPush?: (lead: AgentRecord, text: string) => void;
}

/** Whether any agent of the session other than the lead is in a turn, or follow-ups wait for the lead. */
async function teamBusy(deps: AgentDeps, lead: AgentRecord): Promise<boolean> {
  const agents = await deps.agents.list({ sessionId: lead.session_id });
  if (agents.some((a) => a.id !== lead.id && isInTurn(a.status))) return true;
  return (await deps.agents.followups(lead.id)).length > 0;
}

/** What the turn that asks a quiet lead to finish is recorded as, and what it is told. */
const QUIET = 'the team is quiet';
const QUIET_TEXT =
  '[maestro] Nothing is running and no news is waiting for you. If the requirement is done, close every agent and end your turn with the final report; if not, carry on.';

async function othersOpen(deps: AgentDeps, lead: AgentRecord): Promise<boolean> {
  return (await deps.agents.list({ sessionId: lead.session_id })).some(
    (a) => a.id !== lead.id && a.status !== 'shutdown',
  );
}

async function ended(
  deps: AgentDeps,
  lead: AgentRecord,
  outcome: TeamOutcome,
  reason: string | null,
): Promise<TeamEnd> {
  const turn = await latestTurn(deps, lead);
  return { outcome, lead, report: turn?.final_message ?? null, reason };
}

export async function driveTeam(deps: AgentDeps, start: AgentRecord, options: DriveOptions): Promise<TeamEnd> {
  const { signal } = options;
  deps.supervisor.setInbox(start.id, leadInbox(deps));
  try {
    for (;;) {
      if (signal.aborted) return await ended(deps, (await deps.agents.get(start.id)) ?? start, 'stopped', 'stopped');
      const lead = (await deps.agents.get(start.id)) ?? start;
      if (lead.status === 'shutdown')
        return await ended(deps, lead, 'stopped', lead.status_reason ?? 'the lead was closed');
      if (!isInTurn(lead.status)) {
        if (lead.status === 'errored' || lead.status === 'interrupted')
          return await ended(deps, lead, 'errored', lead.status_reason ?? lead.status);
        if (await hasInbox(deps, lead)) {
          const delivery = await takeInbox(deps, lead);
          if (delivery) {
            const text = await leadTurnText(deps, lead, delivery.text, delivery.messageIds);
            await deps.supervisor.runTurn(lead, text, 'news from the team');
            options.onPush?.(lead, delivery.text);
            continue;
          }
        }
        if (!(await teamBusy(deps, lead))) {
          // Quiet, with agents still open: the lead may have ended its turn expecting news that
          // came before. It is asked once to finish; a lead that ends that turn too is done.
          const asked = (await latestTurn(deps, lead))?.task === QUIET;
          if (!asked && (await othersOpen(deps, lead))) {
            await deps.supervisor.runTurn(lead, await leadTurnText(deps, lead, QUIET_TEXT), QUIET);
            options.onPush?.(lead, QUIET_TEXT);
            continue;
          }
          return await ended(deps, lead, 'completed', null);
        }
      }
      // Woken by any change: a turn ending, a message, a steering directive.
      await deps.store.changes.next(1000, signal);
    }
  } finally {
    deps.supervisor.setInbox(start.id, null);
  }
}
