/**
 * `maestro msg`: the message bus from a shell. Every subcommand builds a `team_msg` input and
 * runs it through the same schema and operation as the MCP tool; only the rendering differs.
 */
import { fromSqliteError } from '../bus/storage-errors.js';
import { runTeamMsg, teamMsgInput, type TeamMsgInput, type TeamMsgResult } from '../ops/team-msg.js';
import { UsageError, flag, parse, str } from './args.js';
import { openStore } from './context.js';
import { COMMON, COMMON_HELP, SUBCOMMANDS, type Subcommand } from './msg-commands.js';
import { render } from './msg-render.js';
import { useColor } from './output.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  color: boolean;
}

/** Field names in validation errors, as the flags a person typed. */
const FLAG_NAMES: Record<string, string> = {
  session_id: '--session',
  from: '--from',
  to: '--to',
  type: '--type',
  last: '--last',
  since: '--since',
  data: '--data',
  summary: 'summary',
  id: 'message id',
  query: 'search words',
  role: '--role',
};

export function msgHelp(): string {
  const width = Math.max(...SUBCOMMANDS.map((c) => c.name.length));
  return [
    'Usage: maestro msg <command> [options]',
    '',
    'Read and write the team message bus (the team_msg tool) from a shell.',
    '',
    'Commands:',
    ...SUBCOMMANDS.map(
      (c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.aliases ? ` (alias: ${c.aliases.join(', ')})` : ''}`,
    ),
    '',
    "Run 'maestro msg <command> --help' for a command's options.",
  ].join('\n');
}

function commandHelp(sub: Subcommand): string {
  const common = sub.input ? COMMON_HELP : COMMON_HELP.filter((l) => !l.includes('--session'));
  return [
    `Usage: ${sub.usage}`,
    '',
    `${sub.summary}.`,
    '',
    'Options:',
    ...[...sub.optionHelp, ...common].map((l) => `  ${l}`),
  ].join('\n');
}

function validate(raw: Partial<TeamMsgInput>, cmd: string): TeamMsgInput {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const result = teamMsgInput.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path[0] === undefined ? '' : `${FLAG_NAMES[String(issue.path[0])] ?? String(issue.path[0])}: `;
  throw new UsageError(`${cmd}: ${field}${issue.message}`);
}

export async function runMsg(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === undefined) {
      io.err(msgHelp());
      return 2;
    }
    io.out(msgHelp());
    return 0;
  }
  const sub = SUBCOMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
  if (!sub) {
    throw new UsageError(
      `maestro msg: unknown command '${name}'; commands: ${SUBCOMMANDS.map((c) => c.name).join(', ')}`,
    );
  }
  const cmd = `maestro msg ${sub.name}`;
  const parsed = parse(cmd, rest, { ...COMMON, ...sub.options }, sub.positionals ?? false);
  if (flag(parsed, 'help')) {
    io.out(commandHelp(sub));
    return 0;
  }
  const json = flag(parsed, 'json');
  const session = str(parsed, 'session') ?? process.env.MAESTRO_SESSION;
  const built = sub.input?.(parsed, cmd);
  if (built && session === undefined) {
    throw new UsageError(`${cmd}: --session is required (or set MAESTRO_SESSION)`);
  }
  const input = built ? validate({ ...built.input, session_id: session }, cmd) : undefined;

  const handle = await openStore({ db: str(parsed, 'db'), create: sub.creates ?? false });
  try {
    const call = input ? { input, options: built?.options ?? {} } : undefined;
    if (sub.run) return await sub.run(handle.store, parsed, { ...io, color: io.color && !json }, call);
    const result: TeamMsgResult = await runTeamMsg(handle.store.messages, input!, handle.caller, built!.options ?? {});
    if (json) {
      io.out(JSON.stringify(result, null, 2));
      return 0;
    }
    return render.result(result, io);
  } catch (error) {
    throw fromSqliteError(handle.file, error);
  } finally {
    await handle.close();
  }
}

function defaultIo(): Io {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    color: useColor(),
  };
}
