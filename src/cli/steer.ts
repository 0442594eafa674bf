/** `maestro steer`: give a session's team a directive, list those in force, or clear them. */
import { clearSteering, giveSteering } from '../ops/steering.js';
import { visible } from '../ops/visible.js';
import { UsageError, flag, parse, str } from './args.js';
import { knownSession } from '../ops/sessions.js';
import { openStore, teamSession } from './context.js';
import { table, useColor } from './output.js';

const HELP = `Usage: maestro steer -s <session> "<directive>"
       maestro steer -s <session> --list [--json]
       maestro steer -s <session> --clear [ID]

Steers a team as its operator: the directive is injected into the lead and every
running worker as "[OPERATOR STEERING] <directive>" (mid-turn where the CLI
allows, else with its next turn), stays in force for the session and is
re-applied to every later lead turn and to workers spawned afterwards, until it
is cleared. Directives are on the bus (type steering) and in the event feed.

Options:
  -s, --session ID   The team's session (default: $MAESTRO_SESSION)
      --list         Show the directives in force
      --clear [ID]   Withdraw directive ID, or every one
      --json         With --list: JSON
      --db FILE      Database (default: $MAESTRO_DB, else <git top-level>/.maestro/maestro.db)
  -h, --help         Show this help`;

export async function runSteer(argv: string[]): Promise<number> {
  const cmd = 'maestro steer';
  const parsed = parse(
    cmd,
    argv,
    {
      session: { type: 'string', short: 's' },
      list: { type: 'boolean' },
      clear: { type: 'boolean' },
      json: { type: 'boolean' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const session = teamSession(cmd, parsed);
  const list = flag(parsed, 'list');
  const clear = flag(parsed, 'clear');
  const words = parsed.positionals;
  if (list && clear) throw new UsageError(`${cmd}: --list and --clear do not go together`);
  let clearId: number | undefined;
  if (clear) {
    if (words.length > 1) throw new UsageError(`${cmd} --clear: give one directive id, or none to clear them all`);
    if (words[0] !== undefined) {
      const raw = words[0].replace(/^#/, '');
      if (!/^\d+$/.test(raw))
        throw new UsageError(`${cmd} --clear: '${words[0]}' is not a directive id (like 3; see --list)`);
      clearId = Number(raw);
    }
  } else if (list) {
    if (words.length) throw new UsageError(`${cmd} --list: unexpected '${words[0]}'`);
  } else if (!words.join(' ').trim()) {
    throw new UsageError(`${cmd}: say the directive, in quotes (see '${cmd} --help')`);
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const handle = await openStore({ db: str(parsed, 'db'), create: false });
  try {
    const { store, caller } = handle;
    await knownSession(store, session);
    if (list) {
      const active = await store.steering.active(session);
      if (flag(parsed, 'json')) out(JSON.stringify({ session_id: session, directives: active }, null, 2));
      else if (active.length === 0) process.stderr.write(`no steering in force in session ${session}\n`);
      else
        for (const line of table(
          ['ID', 'GIVEN', 'BY', 'DIRECTIVE'],
          active.map((d) => [`#${d.id}`, d.created_at.slice(11, 19), d.given_by, visible(d.text)]),
          useColor(),
        ))
          out(line);
      return 0;
    }
    if (clear) {
      const cleared = await clearSteering(store, caller, session, clearId);
      out(
        cleared.length
          ? `cleared ${cleared.map((d) => `#${d.id}`).join(', ')} in session ${session}`
          : `no steering was in force in session ${session}`,
      );
      return 0;
    }
    const directive = await giveSteering(store, caller, session, words.join(' '));
    out(
      `steering #${directive.id} in force in session ${session} (${directive.message_id}): ${visible(directive.text)}`,
    );
    return 0;
  } finally {
    await handle.close();
  }
}
