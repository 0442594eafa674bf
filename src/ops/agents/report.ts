/**
 * report_agent_job_result: a worker reports the result of its current turn, once. The result is
 * bound to the caller's own verified agent — never to an id in the arguments — and reaches the
 * waiting parent at once as news.
 */
import { z } from 'zod';
import { MaestroError } from '../../errors.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';

export const reportResultSchema = z.object({
  accepted: z.boolean(),
  task_name: z.string(),
  turn: z.number(),
  message: z.string(),
});
export type ReportResult = z.infer<typeof reportResultSchema>;

export async function reportResult(deps: AgentDeps, caller: Caller, result: unknown): Promise<ReportResult> {
  if (!caller.agentId) {
    throw new MaestroError(
      'forbidden',
      'report_agent_job_result is for worker agents reporting their own result; this caller is not a maestro agent',
    );
  }
  const { turn, accepted } = await deps.agents.report(caller.agentId, result);
  return {
    accepted,
    task_name: caller.role,
    turn,
    message: accepted
      ? `result of turn ${turn} recorded; your parent has been told`
      : `a result for turn ${turn} was already reported; this one was not recorded`,
  };
}
