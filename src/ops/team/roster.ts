/**
 * The roster `maestro team` hands its lead: which roles the team has and how many workers of
 * each. `--dev 2 --review 1 --test 1` are the common roles; `--role NAME=N` names any other.
 * Defined once here, with the rules the command line is checked against.
 */
import { z } from 'zod';
import { MaestroError } from '../../errors.js';

/** The short flags and the role each stands for. */
export const ROSTER_FLAGS = { dev: 'developer', review: 'reviewer', test: 'tester' } as const;

export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const ROLE_NAME_RULE = "1-32 characters: lower-case letters, digits, '_' or '-', starting with a letter";
const MAX_PER_ROLE = 20;

export const rosterSchema = z
  .array(
    z.object({
      role: z.string().regex(ROLE_NAME_PATTERN),
      count: z.number().int().min(1).max(MAX_PER_ROLE),
    }),
  )
  .max(10);
export type Roster = z.infer<typeof rosterSchema>;

function count(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_PER_ROLE)
    throw new MaestroError('invalid_input', `${flag} expects a whole number from 0 to ${MAX_PER_ROLE}, got '${raw}'`);
  return Number(raw);
}

/**
 * The roster from the short flags (as given, or absent) and `--role NAME=N` entries; a role
 * named twice is an error, and a count of 0 leaves the role out.
 */
export function parseRoster(short: Partial<Record<keyof typeof ROSTER_FLAGS, string>>, roles: string[]): Roster {
  const entries: Array<[string, number, string]> = [];
  for (const [flag, role] of Object.entries(ROSTER_FLAGS) as Array<[keyof typeof ROSTER_FLAGS, string]>) {
    const raw = short[flag];
    if (raw !== undefined) entries.push([role, count(`--${flag}`, raw), `--${flag}`]);
  }
  for (const spec of roles) {
    const match = /^([^=]+)=(.*)$/.exec(spec);
    if (!match) throw new MaestroError('invalid_input', `--role expects NAME=N (like --role docs=1), got '${spec}'`);
    const role = match[1]!.trim().toLowerCase();
    if (!ROLE_NAME_PATTERN.test(role))
      throw new MaestroError('invalid_input', `--role ${spec}: the role name must be ${ROLE_NAME_RULE}`);
    entries.push([role, count(`--role ${role}`, match[2]!.trim()), `--role ${role}`]);
  }
  const seen = new Map<string, string>();
  for (const [role, , flag] of entries) {
    const before = seen.get(role);
    if (before) throw new MaestroError('invalid_input', `the role ${role} is given twice (${before} and ${flag})`);
    seen.set(role, flag);
  }
  return rosterSchema.parse(entries.filter(([, n]) => n > 0).map(([role, n]) => ({ role, count: n })));
}

/** The roster as the lead reads it, e.g. "developer ×2, tester ×1". */
export function rosterText(roster: Roster): string {
  return roster.map((r) => `${r.role} ×${r.count}`).join(', ');
}
