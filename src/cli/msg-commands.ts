/**
 * The `maestro msg` subcommands: each one's flags, help, and how its flags become a `team_msg`
 * input (or, for tail and sessions, what it runs instead).
 */
import { DEFAULT_TYPE } from '../bus/message.js';
import type { Store } from '../store/store.js';
import { typeField } from '../ops/fields.js';
import type { RunOptions, TeamMsgInput } from '../ops/team-msg.js';
import { UsageError, flag, int, str, strs, type Options, type Parsed } from './args.js';
import type { Io } from './msg.js';
import { render } from './msg-render.js';
import { follow } from './msg-tail.js';

export interface Call {
  input: TeamMsgInput;
  options: RunOptions;
}

export interface Subcommand {
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  options: Options;
  optionHelp: string[];
  positionals?: boolean;
  /** Whether the command adds messages, and so creates the database when there is none. */
  creates?: boolean;
  /** Builds the team_msg input (and extra filters) from the flags. */
  input?: (parsed: Parsed, cmd: string) => { input: Partial<TeamMsgInput>; options?: RunOptions };
  /** A command that is more than one team_msg call; given the validated input when `input` is set. */
  run?: (store: Store, parsed: Parsed, io: Io, call?: Call) => Promise<number> | number;
}

export const COMMON: Options = {
  session: { type: 'string', short: 's' },
  db: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
export const COMMON_HELP = [
  '-s, --session <id>   Team session (default: $MAESTRO_SESSION)',
  '    --db <file>      Database (default: $MAESTRO_DB, else <git top-level>/.maestro/maestro.db)',
  '    --json           Machine-readable output',
  '-h, --help           Show this help',
];
const FILTERS: Options = {
  type: { type: 'string', multiple: true, short: 't' },
  from: { type: 'string' },
  to: { type: 'string' },
  last: { type: 'string', short: 'n' },
};
const FILTER_HELP = [
  '-t, --type <type>    Only this type (repeat or comma-separate for several)',
  '    --from <role>    Only messages from this role',
  '    --to <role>      Only messages to this role',
];

function typesOf(parsed: Parsed, cmd: string): string[] {
  const given = strs(parsed, 'type');
  const types = given
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  // `--type ,,,` names no type; taking it as "every type" would show what was asked to be left out.
  if (given.length && !types.length) throw new UsageError(`${cmd}: --type '${given.join(',')}' names no type`);
  return types;
}

function filters(parsed: Parsed, cmd: string): { input: Partial<TeamMsgInput>; options: RunOptions } {
  const types = typesOf(parsed, cmd);
  for (const type of types) {
    const check = typeField.safeParse(type);
    if (!check.success) throw new UsageError(`${cmd}: --type '${type}': ${check.error.issues[0]?.message}`);
  }
  return {
    input: {
      from: str(parsed, 'from'),
      to: str(parsed, 'to'),
      type: types.length === 1 ? types[0] : undefined,
      last: int(cmd, parsed, 'last'),
    },
    options: types.length > 1 ? { types } : {},
  };
}

function parseData(parsed: Parsed, cmd: string): Record<string, unknown> | undefined {
  const raw = str(parsed, 'data');
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new UsageError(`${cmd}: --data is not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${cmd}: --data must be a JSON object, like '{"task_id":"IMPL-001"}'`);
  }
  return value as Record<string, unknown>;
}

function summaryOf(parsed: Parsed, cmd: string): string | undefined {
  const flagged = str(parsed, 'summary');
  const words = parsed.positionals.length ? parsed.positionals.join(' ') : undefined;
  if (flagged !== undefined && words !== undefined) {
    throw new UsageError(
      `${cmd}: the summary is given twice (--summary '${flagged}' and the words '${words}'); quote it as one: --summary "${flagged} ${words}"`,
    );
  }
  return flagged ?? words;
}

function onePositional(parsed: Parsed, cmd: string, what: string): string {
  if (parsed.positionals.length !== 1)
    throw new UsageError(`${cmd}: expected one ${what}, got ${parsed.positionals.length}`);
  return parsed.positionals[0]!;
}

const WRITE_OPTIONS: Options = {
  from: { type: 'string' },
  to: { type: 'string' },
  type: { type: 'string', short: 't' },
  summary: { type: 'string' },
  data: { type: 'string' },
};

export const SUBCOMMANDS: Subcommand[] = [
  {
    name: 'list',
    summary: 'Show messages: the newest N, or page forward with --since',
    usage: 'maestro msg list -s <session> [--type T] [--from R] [--to R] [--last N] [--since ID] [--json]',
    options: { ...FILTERS, since: { type: 'string' } },
    optionHelp: [
      ...FILTER_HELP,
      '-n, --last <N>       How many (default 20, at most 100)',
      '    --since <id>     Only messages after this id, oldest first',
    ],
    input: (parsed, cmd) => {
      const { input, options } = filters(parsed, cmd);
      return { input: { operation: 'list', ...input, since: str(parsed, 'since') }, options };
    },
  },
  {
    name: 'log',
    aliases: ['send'],
    summary: 'Append a message (from you, to the coordinator unless --to)',
    usage: 'maestro msg log -s <session> [--from R] [--to R] [--type T] [--data JSON] <summary...>',
    options: WRITE_OPTIONS,
    optionHelp: [
      '    --from <role>    Sender (default: user)',
      '    --to <role>      Recipient (default: coordinator; all = everyone)',
      `-t, --type <type>    Message type (default: ${DEFAULT_TYPE})`,
      '    --summary <text> Summary (or give it as the remaining words)',
      '    --data <json>    JSON object payload',
    ],
    positionals: true,
    creates: true,
    input: (parsed, cmd) => ({
      input: {
        operation: 'log',
        from: str(parsed, 'from'),
        to: str(parsed, 'to'),
        type: str(parsed, 'type'),
        summary: summaryOf(parsed, cmd),
        data: parseData(parsed, cmd),
      },
    }),
  },
  {
    name: 'broadcast',
    summary: 'Append a message to everyone (to: all)',
    usage: 'maestro msg broadcast -s <session> [--from R] [--type T] [--data JSON] <summary...>',
    options: Object.fromEntries(Object.entries(WRITE_OPTIONS).filter(([name]) => name !== 'to')),
    optionHelp: [
      '    --from <role>    Sender (default: user)',
      `-t, --type <type>    Message type (default: ${DEFAULT_TYPE})`,
      '    --summary <text> Summary',
      '    --data <json>    JSON object payload',
    ],
    positionals: true,
    creates: true,
    input: (parsed, cmd) => ({
      input: {
        operation: 'broadcast',
        from: str(parsed, 'from'),
        type: str(parsed, 'type'),
        summary: summaryOf(parsed, cmd),
        data: parseData(parsed, cmd),
      },
    }),
  },
  {
    name: 'read',
    summary: 'Show one message in full',
    usage: 'maestro msg read -s <session> <id>',
    options: {},
    optionHelp: [],
    positionals: true,
    input: (parsed, cmd) => ({ input: { operation: 'read', id: onePositional(parsed, cmd, 'message id') } }),
  },
  {
    name: 'status',
    summary: 'Per member: messages sent, last seen, last action',
    usage: 'maestro msg status -s <session>',
    options: {},
    optionHelp: [],
    input: () => ({ input: { operation: 'status' } }),
  },
  {
    name: 'search',
    summary: 'Full-text search of summaries and data',
    usage: 'maestro msg search -s <session> [--type T] [--from R] [--to R] [--last N] <words...>',
    options: FILTERS,
    optionHelp: [...FILTER_HELP, '-n, --last <N>       How many of the newest matches (default 20, at most 100)'],
    positionals: true,
    input: (parsed, cmd) => {
      const { input, options } = filters(parsed, cmd);
      if (parsed.positionals.length === 0) throw new UsageError(`${cmd}: give the words to search for`);
      return { input: { operation: 'search', ...input, query: parsed.positionals.join(' ') }, options };
    },
  },
  {
    name: 'tail',
    summary: 'Show the newest messages, then follow new ones until interrupted',
    usage: 'maestro msg tail -s <session> [--type T] [--from R] [--to R] [--last N] [--json]',
    options: FILTERS,
    optionHelp: [...FILTER_HELP, '-n, --last <N>       How many earlier messages to show first (default 10)'],
    input: (parsed, cmd) => {
      const { input, options } = filters(parsed, cmd);
      return { input: { operation: 'list', ...input, last: input.last ?? 10 }, options };
    },
    run: (store, parsed, io, call) => follow(store, call!, io, flag(parsed, 'json')),
  },
  {
    name: 'sessions',
    summary: 'Every session with its message and member counts and last activity',
    usage: 'maestro msg sessions [--json]',
    options: {},
    optionHelp: [],
    run: async (store, parsed, io) => render.sessions(await store.messages.sessions(), io, flag(parsed, 'json')),
  },
  {
    name: 'state',
    summary: 'Role state merged from state_update messages',
    usage: 'maestro msg state -s <session> [--role R]',
    options: { role: { type: 'string' } },
    optionHelp: ['    --role <role>    Only this role'],
    input: (parsed) => ({ input: { operation: 'get_state', role: str(parsed, 'role') } }),
  },
  {
    name: 'mailbox',
    summary: "Read a role's unread messages (broadcasts included) and mark them delivered",
    usage: 'maestro msg mailbox -s <session> [--role R] [--last N]',
    options: { role: { type: 'string' }, last: { type: 'string', short: 'n' } },
    optionHelp: [
      '    --role <role>    Whose mailbox (default: user)',
      '-n, --last <N>       At most this many, oldest first (default 100)',
    ],
    input: (parsed, cmd) => ({
      input: { operation: 'read_mailbox', role: str(parsed, 'role'), last: int(cmd, parsed, 'last') },
    }),
  },
  {
    name: 'mailbox-status',
    summary: 'Per role: messages addressed, delivered, unread',
    usage: 'maestro msg mailbox-status -s <session> [--role R]',
    options: { role: { type: 'string' } },
    optionHelp: ['    --role <role>    Only this role'],
    input: (parsed) => ({ input: { operation: 'mailbox_status', role: str(parsed, 'role') } }),
  },
  {
    name: 'delete',
    summary: 'Remove one message',
    usage: 'maestro msg delete -s <session> <id>',
    options: {},
    optionHelp: [],
    positionals: true,
    input: (parsed, cmd) => ({ input: { operation: 'delete', id: onePositional(parsed, cmd, 'message id') } }),
  },
  {
    name: 'clear',
    summary: 'Remove every message of a session (role state is kept)',
    usage: 'maestro msg clear -s <session> --yes',
    options: { yes: { type: 'boolean', short: 'y' } },
    optionHelp: ['-y, --yes            Confirm: without it nothing is removed'],
    input: (parsed, cmd) => {
      if (!flag(parsed, 'yes'))
        throw new UsageError(`${cmd}: this removes every message of the session; add --yes to confirm`);
      return { input: { operation: 'clear' } };
    },
  },
];
