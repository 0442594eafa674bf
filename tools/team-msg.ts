/**
 * `team_msg`: the team's message bus as an MCP tool. Input and validation come from the shared
 * schema in src/ops/team-msg.ts (the CLI uses the same one); this file adds the description,
 * the output schema, annotations and a readable text rendering.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LIMITS } from '../src/bus/message.js';
import { registerTool } from '../src/mcp/tool.js';
import type { ToolDeps } from '../src/mcp/deps.js';
import { toolLine } from '../src/ops/format.js';
import { visible } from '../src/ops/visible.js';
import { runTeamMsg, teamMsgInput, teamMsgResultSchema, type TeamMsgResult } from '../src/ops/team-msg.js';

export const TEAM_MSG = 'team_msg';

export const teamMsgOutput = teamMsgResultSchema;

const DESCRIPTION = `The team's shared message bus (SQLite), one log per session. Workers report milestones here; the coordinator and people at a shell (\`maestro msg list -s <session>\`) read them.

Operations:
- log: append a message. from (default: you), to (default coordinator; "all" = everyone), type (default message; the skills use progress, blocker, task_complete, state_update), summary (default "[from] type → to"), data (JSON object). Returns the new id (MSG-001, MSG-002, … per session). A state_update merges its data into the sender's role state.
- broadcast: log to "all".
- read: one message by id.
- list: filters type, from, to; the newest \`last\` (default 20, max ${LIMITS.pageMax}) shown oldest first, with total and formatted lines. With since=<id>: the next \`last\` messages after that id, oldest first, plus next_since — page forward without gaps.
- search: full-text search of summary and data (all words must match; word* = prefix), newest \`last\` matches.
- status: per member (sender): message count, last seen, last action.
- delete: remove one message by id.
- clear: remove every message of the session. Role state (get_state) is kept; ids are never reused.
- get_state: merged role state from state_update messages, for one role or all.
- read_mailbox: unread messages addressed to a role (default: you), broadcasts included, oldest first; marks them delivered, so each is returned to one reader once.
- mailbox_status: per role: total addressed, delivered, unread.

Limits: summary ${LIMITS.summaryChars} characters, data ${LIMITS.dataBytes} bytes, message ${LIMITS.messageBytes} bytes.`;

function dataSuffix(data: Record<string, unknown>): string {
  return Object.keys(data).length ? `  ${visible(JSON.stringify(data))}` : '';
}

/**
 * Text for clients that show text only: complete enough that nothing in structuredContent is lost
 * to a reader. One line per item, each field through `visible`: a worker's summary cannot forge a
 * line the coordinator's model would take for the bus's own (structuredContent stays exact).
 */
export function renderTeamMsg(result: TeamMsgResult): string {
  const session = `session ${result.session_id}`;
  switch (result.operation) {
    case 'log':
    case 'broadcast':
      return `Logged in ${session}: ${toolLine(result.message!)}`;
    case 'read': {
      const m = result.message!;
      const delivered = result.delivered_to?.length ? `\ndelivered to: ${visible(result.delivered_to.join(', '))}` : '';
      const line = visible(`${m.id} ${m.ts} ${m.from} → ${m.to} (${m.type}) ${m.summary}`);
      return `${line}${dataSuffix(m.data)}${delivered}`;
    }
    case 'list':
    case 'search':
    case 'read_mailbox': {
      const lines = (result.messages ?? []).map((m, i) => `${result.formatted?.[i]}${dataSuffix(m.data)}`);
      const head =
        result.operation === 'read_mailbox'
          ? `${result.showing} message(s) delivered to ${result.role} in ${session}; ${result.unread_remaining} still unread`
          : `${result.showing} of ${result.total} message(s) in ${session}`;
      const next =
        result.next_since !== undefined
          ? `\nnext_since: ${result.next_since}${result.has_more ? ' (more follow)' : ''}`
          : '';
      return [head, ...lines].join('\n') + next;
    }
    case 'status':
      return result.members!.length === 0
        ? `No messages in ${session}.`
        : [
            `${result.members!.length} member(s) in ${session}:`,
            ...result.members!.map(
              (m) =>
                `${visible(m.role)}: ${m.messages} message(s), last seen ${visible(m.last_seen)}, last ${visible(`${m.last_action.id} (${m.last_action.type}) ${m.last_action.summary}`)}`,
            ),
          ].join('\n');
    case 'delete':
      return `Deleted ${result.deleted} from ${session}.`;
    case 'clear':
      return `Cleared ${result.cleared} message(s) from ${session}; role state kept.`;
    case 'get_state':
      return result.roles!.length === 0
        ? `No role state in ${session}.`
        : Object.entries(result.state!)
            .map(([role, state]) => visible(`${role}: ${JSON.stringify(state)}`))
            .join('\n');
    case 'mailbox_status':
      return result.mailboxes!.length === 0
        ? `No mailboxes in ${session}.`
        : result
            .mailboxes!.map(
              (m) => `${visible(m.role)}: ${m.unread} unread, ${m.delivered} delivered, ${m.total} in all`,
            )
            .join('\n');
  }
}

export function registerTeamMsg(server: McpServer, deps: ToolDeps): void {
  registerTool(server, deps, {
    name: TEAM_MSG,
    title: 'Team message bus',
    description: DESCRIPTION,
    input: teamMsgInput,
    output: teamMsgOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    async run(input) {
      const result = await runTeamMsg(deps.bus, input, deps.caller);
      return { structured: result, text: renderTeamMsg(result) };
    },
  });
}
