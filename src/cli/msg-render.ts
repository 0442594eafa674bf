/** Human renderings of `maestro msg` results: one aligned line per message, small tables otherwise. */
import type { SessionSummary } from '../store/records.js';
import type { TeamMsgResult } from '../ops/team-msg.js';
import type { Io } from './msg.js';
import { visible } from '../ops/visible.js';
import { messageLines, paint, table } from './output.js';

function local(ts: string | null): string {
  if (!ts) return '-';
  const d = new Date(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const render = {
  result(result: TeamMsgResult, io: Io): number {
    switch (result.operation) {
      case 'list':
      case 'search':
      case 'read_mailbox': {
        const messages = result.messages ?? [];
        for (const line of messageLines(messages, io.color)) io.out(line);
        if (messages.length === 0) io.err(`no messages in session ${result.session_id} match`);
        if (result.next_since !== undefined && result.has_more) io.err(`more follow: --since ${result.next_since}`);
        if (result.operation === 'search' && messages.length < (result.total ?? 0)) {
          io.err(`showing the newest ${messages.length} of ${result.total} matches`);
        }
        if (result.operation === 'read_mailbox' && result.unread_remaining)
          io.err(`${result.unread_remaining} still unread`);
        return 0;
      }
      case 'log':
      case 'broadcast':
        for (const line of messageLines([result.message!], io.color)) io.out(line);
        return 0;
      case 'read': {
        const m = result.message!;
        io.out(messageLines([m], io.color)[0]!);
        io.out(`  ts:           ${visible(m.ts)}`);
        io.out(`  sender agent: ${visible(m.sender_agent_id ?? '-')}`);
        io.out(`  delivered to: ${visible(result.delivered_to?.length ? result.delivered_to.join(', ') : '-')}`);
        const data = JSON.stringify(m.data, null, 2).split('\n').map(visible);
        io.out(`  data:         ${data[0]}`);
        for (const line of data.slice(1)) io.out(`                ${line}`);
        return 0;
      }
      case 'status': {
        const members = result.members ?? [];
        if (members.length === 0) {
          io.err(`no messages in session ${result.session_id}`);
          return 0;
        }
        const rows = members.map((m) => [
          m.role,
          String(m.messages),
          local(m.last_seen),
          `${m.last_action.id} (${m.last_action.type}) ${m.last_action.summary}`,
        ]);
        for (const line of table(['MEMBER', 'MESSAGES', 'LAST SEEN', 'LAST ACTION'], rows, io.color)) io.out(line);
        return 0;
      }
      case 'get_state': {
        if (!result.roles?.length) io.err(`no role state in session ${result.session_id}`);
        for (const role of result.roles ?? []) {
          io.out(
            `${paint(io.color, 'cyan', visible(role.role))}  (updated ${local(role.updated_at)} by ${visible(role.updated_by)})`,
          );
          for (const line of JSON.stringify(result.state![role.role], null, 2).split('\n'))
            io.out(`  ${visible(line)}`);
        }
        return 0;
      }
      case 'mailbox_status': {
        const rows = (result.mailboxes ?? []).map((m) => [
          m.role,
          String(m.unread),
          String(m.delivered),
          String(m.total),
        ]);
        if (rows.length === 0) io.err(`no mailboxes in session ${result.session_id}`);
        else for (const line of table(['ROLE', 'UNREAD', 'DELIVERED', 'TOTAL'], rows, io.color)) io.out(line);
        return 0;
      }
      case 'delete':
        io.out(`deleted ${result.deleted} from session ${result.session_id}`);
        return 0;
      case 'clear':
        io.out(`cleared ${result.cleared} message(s) from session ${result.session_id}; role state kept`);
        return 0;
    }
  },

  sessions(sessions: SessionSummary[], io: Io, json: boolean): number {
    if (json) {
      io.out(JSON.stringify({ sessions }, null, 2));
      return 0;
    }
    if (sessions.length === 0) {
      io.err('no sessions yet');
      return 0;
    }
    const rows = sessions.map((s) => [
      s.session_id,
      String(s.messages),
      String(s.members),
      s.last_id ?? '-',
      local(s.last_activity),
    ]);
    for (const line of table(['SESSION', 'MESSAGES', 'MEMBERS', 'LAST', 'LAST ACTIVITY'], rows, io.color)) io.out(line);
    return 0;
  },
};
