/**
 * `maestro doctor`: one line per check of the set-up — ok, warn or fail, what was found, and
 * how to fix it. Exit 1 when any check fails; --json for scripts.
 */
import { runChecks, type Status } from '../install/doctor.js';
import { flag, parse, projectDirOption, UsageError } from './args.js';
import { paint, useColor } from './output.js';

const HELP = `Usage: maestro doctor [--project <dir>] [--json]

Check the set-up: Node.js, the project's database directory, the claude and
codex commands, the maestro-tools registration of each client and the skills
'maestro install' copied. One line per check: ok, warn (a client that is not
installed or not set up: you may use only one) or fail (something broken),
with a hint how to fix it. Exits 1 if any check fails.

Options:
      --project <dir>  The project (default: the git top-level of the current
                       directory, else the current directory)
      --json           Machine-readable output
  -h, --help           Show this help`;

const STYLE: Record<Status, 'green' | 'yellow' | 'red'> = { ok: 'green', warn: 'yellow', fail: 'red' };

export async function runDoctor(argv: string[]): Promise<number> {
  const parsed = parse(
    'maestro doctor',
    argv,
    { project: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (flag(parsed, 'help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (parsed.positionals.length) {
    throw new UsageError(`maestro doctor: unexpected '${parsed.positionals[0]}' (see 'maestro doctor --help')`);
  }
  const project = projectDirOption(parsed);
  const checks = await runChecks({ project, env: process.env });
  const failed = checks.some((c) => c.status === 'fail');
  if (flag(parsed, 'json')) {
    process.stdout.write(`${JSON.stringify({ ok: !failed, project, checks }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  const color = useColor();
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    const status = paint(color, STYLE[c.status], c.status.padEnd(4));
    const hint = c.hint ? `  → ${c.hint}` : '';
    process.stdout.write(`${status}  ${c.name.padEnd(width)}  ${c.message}${hint}\n`);
  }
  return failed ? 1 : 0;
}
