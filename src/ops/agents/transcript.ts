/**
 * The end of an agent's transcript, wherever it was written. A worker's transcript stays on the
 * machine that ran it (agents/transcript.ts, under that machine's data directory); for an agent of
 * another machine the lines are asked of the live maestro on that machine as a read-only control
 * request (control-requests.ts), whether or not the agent's process still runs. The lines come
 * back as that machine keeps them, scrubbed there of the secrets it knows; callers render them as
 * they render local lines.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { HOST } from '../../agents/liveness.js';
import { transcriptLinesField, transcriptResultSchema } from '../../agents/records.js';
import { readTranscriptTail } from '../../agents/transcript.js';
import { MaestroError } from '../../errors.js';
import { scrub } from '../../secrets.js';
import type { AgentRecord } from '../../store/records.js';
import type { Caller } from '../caller.js';
import { machineHasNoHost, viaRunningServer } from './control-requests.js';
import type { AgentDeps } from './deps.js';

/** The last `lines` lines of the agent's transcript, oldest first. */
export async function agentTranscript(
  deps: AgentDeps,
  caller: Caller,
  agent: AgentRecord,
  lines: number,
): Promise<string[]> {
  if (!Number.isInteger(lines) || lines < 1)
    throw new MaestroError(
      'invalid_input',
      `lines: expected a whole number of transcript lines, 1 or more, got ${lines}`,
    );
  const dir = transcriptDirHere(deps, agent);
  if (dir) return readTranscriptTail(dir, lines);
  // What is read elsewhere travels through the store: bounded.
  const checked = transcriptLinesField.safeParse(lines);
  if (!checked.success) {
    throw new MaestroError(
      'invalid_input',
      `lines: ${checked.error.issues[0]?.message} when the transcript is read from another machine ` +
        `(${agent.task_name} ran on ${agent.owner_host}), got ${lines}`,
    );
  }
  const remote = await viaRunningServer(deps, caller, agent, { verb: 'transcript', lines });
  if (remote) return transcriptResultSchema.parse(remote).lines;
  // The machine's maestro stopped each time it was asked: nobody there can read it now.
  throw machineHasNoHost(agent, 'transcript');
}

/**
 * The agent's transcript directory when its transcript is read here: it ran on this machine (or
 * never ran anywhere), or its files are here all the same (machines that share a directory).
 * Null: it is kept on the machine that ran it.
 */
export function transcriptDirHere(deps: Pick<AgentDeps, 'dataDir'>, agent: AgentRecord): string | null {
  const dir = path.join(deps.dataDir, 'agents', agent.id);
  return agent.owner_host === null || agent.owner_host === HOST || existsSync(dir) ? dir : null;
}

/** What the machine that ran the agent answers a transcript read with: its own files, scrubbed with its secrets. */
export function transcriptHere(
  deps: Pick<AgentDeps, 'dataDir'>,
  agent: AgentRecord,
  lines: number,
): { lines: string[] } {
  return { lines: readTranscriptTail(path.join(deps.dataDir, 'agents', agent.id), lines).map((l) => scrub(l)) };
}
