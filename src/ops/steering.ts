/**
 * Operator steering: a person gives a session's team a directive, which maestro injects into the
 * lead and into every running worker as `[OPERATOR STEERING] <directive>`, keeps in force for the
 * session and re-applies to each later lead turn and to workers spawned afterwards, until it is
 * withdrawn (the seed's clear-steering). Steering is the operator's: an agent cannot steer.
 */
import { STEERING_PREFIX } from '../agents/prompt.js';
import { MaestroError } from '../errors.js';
import { DIRECTIVE_MAX_CHARS, type Directive } from '../store/steering-store.js';
import type { Stores } from '../store/store.js';
import type { Caller } from './caller.js';

function operatorOnly(caller: Caller): void {
  if (caller.agentId !== null)
    throw new MaestroError(
      'forbidden',
      `steering is the operator's: ${caller.role} is an agent of the team and cannot steer it (send_message or team_msg reach its parent)`,
    );
}

export async function giveSteering(
  stores: Stores,
  caller: Caller,
  sessionId: string,
  text: string,
): Promise<Directive> {
  operatorOnly(caller);
  const directive = text.trim();
  if (!directive) throw new MaestroError('invalid_input', 'a steering directive needs some text');
  if (directive.includes('\u0000'))
    throw new MaestroError('invalid_input', 'a steering directive must not contain a NUL character');
  if (directive.length > DIRECTIVE_MAX_CHARS)
    throw new MaestroError(
      'invalid_input',
      `a steering directive is at most ${DIRECTIVE_MAX_CHARS} characters (this one has ${directive.length}); say it shorter, or send the detail with maestro msg send`,
    );
  return (await stores.steering.give(sessionId, directive, caller.role)).directive;
}

/** Withdraws directive `id`, or all of them; an id not in force is an error naming those that are. */
export async function clearSteering(
  stores: Stores,
  caller: Caller,
  sessionId: string,
  id?: number,
): Promise<Directive[]> {
  operatorOnly(caller);
  const cleared = await stores.steering.withdraw(sessionId, caller.role, id);
  if (id !== undefined && cleared.length === 0) {
    const active = await stores.steering.active(sessionId);
    throw new MaestroError(
      'not_found',
      `no steering directive #${id} is in force in session ${sessionId}; ${active.length ? `in force: ${active.map((d) => `#${d.id}`).join(', ')}` : 'none is'}`,
    );
  }
  return cleared;
}

/** The directives in force, as the lines a turn re-applies them with; empty when none is. */
export function steeringLines(directives: readonly Directive[]): string[] {
  return directives.map((d) => `${STEERING_PREFIX} ${d.text}`);
}
