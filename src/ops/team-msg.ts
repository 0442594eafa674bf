/**
 * The `team_msg` operations, shared by the MCP tool and the `maestro msg` CLI: one input schema
 * (which the tool advertises and both validate with), one function that runs an operation
 * against the store, and one result shape.
 */
import { z } from 'zod';
import {
  BROADCAST,
  DEFAULT_PAGE,
  DEFAULT_TO,
  DEFAULT_TYPE,
  LIMITS,
  defaultSummary,
  mailboxCountsSchema,
  memberStatusSchema,
  messageSchema,
  roleStateSchema,
  sequenceOf,
} from '../bus/message.js';
import type { Message } from '../bus/message.js';
import type { MessageStore } from '../store/message-store.js';
import type { MessageFilter } from '../store/records.js';
import { MaestroError, notFound } from '../errors.js';
import type { Caller } from './caller.js';
import {
  dataField,
  lastField,
  messageIdField,
  queryField,
  roleField,
  sessionIdField,
  summaryField,
  typeField,
} from './fields.js';
import { toolLine } from './format.js';

export const TEAM_MSG_OPERATIONS = [
  'log',
  'broadcast',
  'read',
  'list',
  'search',
  'status',
  'delete',
  'clear',
  'get_state',
  'read_mailbox',
  'mailbox_status',
] as const;
export type TeamMsgOperation = (typeof TEAM_MSG_OPERATIONS)[number];

type OptionalField = 'from' | 'to' | 'type' | 'summary' | 'data' | 'id' | 'last' | 'since' | 'query' | 'role';

/** Which fields each operation takes, and which of those it requires. */
const FIELDS: Record<TeamMsgOperation, { takes: OptionalField[]; requires?: OptionalField[] }> = {
  log: { takes: ['from', 'to', 'type', 'summary', 'data'] },
  broadcast: { takes: ['from', 'to', 'type', 'summary', 'data'] },
  read: { takes: ['id'], requires: ['id'] },
  list: { takes: ['from', 'to', 'type', 'last', 'since'] },
  search: { takes: ['query', 'from', 'to', 'type', 'last'], requires: ['query'] },
  status: { takes: [] },
  delete: { takes: ['id'], requires: ['id'] },
  clear: { takes: [] },
  get_state: { takes: ['role'] },
  read_mailbox: { takes: ['role', 'last'] },
  mailbox_status: { takes: ['role'] },
};

const shape = {
  operation: z
    .enum(TEAM_MSG_OPERATIONS, { error: `expected one of: ${TEAM_MSG_OPERATIONS.join(', ')}` })
    .describe('What to do.'),
  session_id: sessionIdField,
  from: roleField(
    'Sender role or task id, e.g. IMPL-001. Default: the caller (coordinator for a top-level client).',
  ).optional(),
  to: roleField(`Recipient role or task id. Default: ${DEFAULT_TO}; "${BROADCAST}" reaches everyone.`).optional(),
  type: typeField.optional(),
  summary: summaryField.optional(),
  data: dataField.optional(),
  id: messageIdField('Message id for read and delete, e.g. MSG-007.').optional(),
  last: lastField
    .describe(
      `How many messages: list and search return the newest N (default ${DEFAULT_PAGE}, at most ${LIMITS.pageMax}); with since, the next N after it; read_mailbox takes the oldest N unread.`,
    )
    .optional(),
  since: messageIdField(
    'List only messages after this id, oldest first: a forward cursor. Pass the returned next_since to get the next page.',
  ).optional(),
  query: queryField.optional(),
  role: roleField(
    'Whose state or mailbox. Default for read_mailbox: the caller; for get_state and mailbox_status: every role.',
  ).optional(),
};

export const teamMsgInput = z
  .strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}; team_msg takes: ${Object.keys(shape).join(', ')}`
        : undefined,
  })
  .superRefine((input, ctx) => {
    const rule = FIELDS[input.operation];
    if (!rule) return;
    for (const field of rule.requires ?? []) {
      if (input[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `required for operation '${input.operation}'` });
      }
    }
    for (const field of Object.keys(input) as (keyof typeof input)[]) {
      if (field === 'operation' || field === 'session_id' || input[field] === undefined) continue;
      if (!rule.takes.includes(field as OptionalField)) {
        const takes = rule.takes.length ? rule.takes.join(', ') : 'no other fields';
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `does not apply to operation '${input.operation}' (it takes: ${takes})`,
        });
      }
    }
    if (input.operation === 'broadcast' && input.to !== undefined && input.to !== BROADCAST) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `broadcast always goes to "${BROADCAST}"; use log to address one role`,
      });
    }
    if (input.from === BROADCAST) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `"${BROADCAST}" is reserved for broadcast recipients` });
    }
  });

export type TeamMsgInput = z.infer<typeof teamMsgInput>;

/** One shape for every operation's result: each fills the fields it has (the tool's output schema). */
export const teamMsgResultSchema = z.object({
  operation: z.enum(TEAM_MSG_OPERATIONS),
  session_id: z.string(),
  id: z.string().optional().describe('log/broadcast: the new message id; read: the message read'),
  message: messageSchema.optional(),
  delivered_to: z.array(z.string()).optional().describe('read: roles whose mailbox has delivered it'),
  total: z.number().optional().describe('list/search: matching messages in the session'),
  showing: z.number().optional(),
  messages: z.array(messageSchema).optional().describe('oldest first'),
  formatted: z.array(z.string()).optional(),
  next_since: z.string().nullable().optional().describe('list with since: pass as since for the next page'),
  has_more: z.boolean().optional(),
  members: z.array(memberStatusSchema).optional(),
  state: z.record(z.string(), z.record(z.string(), z.unknown())).optional().describe('get_state: role → merged state'),
  roles: z.array(roleStateSchema.omit({ state: true })).optional(),
  mailboxes: z.array(mailboxCountsSchema).optional(),
  deleted: z.string().optional(),
  cleared: z.number().optional(),
  role: z.string().optional(),
  unread_remaining: z.number().optional(),
});
export type TeamMsgResult = z.infer<typeof teamMsgResultSchema>;

/** Extra filters the CLI offers beyond the tool's single `type`. */
export interface RunOptions {
  types?: readonly string[];
}

function filterOf(input: TeamMsgInput, options: RunOptions): MessageFilter {
  const types = options.types ?? (input.type !== undefined ? [input.type] : undefined);
  return { from: input.from, to: input.to, types };
}

function page(result: TeamMsgResult, messages: Message[], total: number): TeamMsgResult {
  return { ...result, total, showing: messages.length, messages, formatted: messages.map(toolLine) };
}

const forbidden = (message: string) => new MaestroError('forbidden', message);

/**
 * A worker agent writes as itself, in its own session, reads only its own mailbox, and removes
 * nothing: the board is the team's record, so `delete` and `clear` are the coordinator's and
 * people's. (Top-level callers are trusted: a coordinator may log `from` any role.)
 */
function checkAgentBounds(input: TeamMsgInput, caller: Caller): void {
  if (!caller.agentId) return;
  if (caller.sessionId && input.session_id !== caller.sessionId) {
    throw forbidden(`${caller.role} belongs to session ${caller.sessionId}; use session_id "${caller.sessionId}"`);
  }
  if (input.operation === 'delete' || input.operation === 'clear') {
    throw forbidden(
      `you are ${caller.role}, a worker agent: ${input.operation} is for the coordinator and people, not workers; log a correction instead (operation 'log')`,
    );
  }
  if (input.from !== undefined && input.from !== caller.role) {
    throw forbidden(`you are ${caller.role}: from must be "${caller.role}" or left out`);
  }
  if (input.operation === 'read_mailbox' && input.role !== undefined && input.role !== caller.role) {
    throw forbidden(`you are ${caller.role}: you can read only your own mailbox`);
  }
}

export async function runTeamMsg(
  store: MessageStore,
  input: TeamMsgInput,
  caller: Caller,
  options: RunOptions = {},
): Promise<TeamMsgResult> {
  const { operation, session_id } = input;
  checkAgentBounds(input, caller);
  const base: TeamMsgResult = { operation, session_id };
  switch (operation) {
    case 'log':
    case 'broadcast': {
      const from = input.from ?? caller.role;
      const to = operation === 'broadcast' ? BROADCAST : (input.to ?? DEFAULT_TO);
      const type = input.type ?? DEFAULT_TYPE;
      const message = await store.log({
        session_id,
        from,
        to,
        type,
        summary: input.summary ?? defaultSummary(from, type, to),
        data: input.data ?? {},
        sender_agent_id: caller.agentId,
      });
      return { ...base, id: message.id, message };
    }
    case 'read': {
      const message = await store.get(session_id, sequenceOf(input.id!));
      if (!message) throw notFound(`message ${input.id} not found in session ${session_id}`);
      return { ...base, id: message.id, message, delivered_to: await store.deliveredTo(session_id, message) };
    }
    case 'list': {
      const sinceSeq = input.since === undefined ? undefined : sequenceOf(input.since);
      const result = await store.list(session_id, filterOf(input, options), {
        limit: input.last ?? DEFAULT_PAGE,
        sinceSeq,
      });
      const last = result.messages[result.messages.length - 1];
      const paged = page(base, result.messages, result.total);
      if (input.since === undefined) return paged;
      return { ...paged, next_since: last?.id ?? input.since, has_more: result.has_more };
    }
    case 'search': {
      const result = await store.search(session_id, input.query!, filterOf(input, options), input.last ?? DEFAULT_PAGE);
      return page(base, result.messages, result.total);
    }
    case 'status':
      return { ...base, members: await store.status(session_id) };
    case 'delete': {
      const removed = await store.remove(session_id, sequenceOf(input.id!));
      if (!removed) throw notFound(`message ${input.id} not found in session ${session_id}`);
      return { ...base, deleted: removed.id, message: removed };
    }
    case 'clear':
      return { ...base, cleared: await store.clear(session_id) };
    case 'get_state': {
      const states = await store.roleStates(session_id, input.role);
      return {
        ...base,
        state: Object.fromEntries(states.map((s) => [s.role, s.state])),
        roles: states.map(({ role, updated_at, updated_by }) => ({ role, updated_at, updated_by })),
      };
    }
    case 'read_mailbox': {
      const role = input.role ?? caller.role;
      const messages = await store.readMailbox(session_id, role, input.last ?? LIMITS.pageMax);
      const unread = (await store.mailboxStatus(session_id, role))[0]?.unread ?? 0;
      return { ...page({ ...base, role }, messages, messages.length), unread_remaining: unread };
    }
    case 'mailbox_status':
      return { ...base, mailboxes: await store.mailboxStatus(session_id, input.role) };
  }
}
