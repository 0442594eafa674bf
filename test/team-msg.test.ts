/** The shared team_msg operation: defaults that depend on who calls, and identity that comes only from the caller. */
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { COORDINATOR } from '../src/ops/caller.js';
import { runTeamMsg, teamMsgInput } from '../src/ops/team-msg.js';
import { tempDbFile } from './helpers/temp.js';

const worker = {
  role: 'IMPL-001',
  agentId: 'agt_V1StGXR8Z5jdHi6B',
  sessionId: 's',
  path: '/IMPL-001',
  depth: 1,
  clientId: null,
};

describe('team_msg defaults and identity', () => {
  it('takes from and the mailbox role from the caller, and records the authenticated agent id', async () => {
    const store = openSqliteStore(tempDbFile()).messages;
    const logged = await runTeamMsg(
      store,
      teamMsgInput.parse({ operation: 'log', session_id: 's', type: 'progress' }),
      worker,
    );
    expect(logged.message).toMatchObject({
      from: 'IMPL-001',
      to: 'coordinator',
      summary: '[IMPL-001] progress → coordinator',
      sender_agent_id: worker.agentId,
    });
    await runTeamMsg(
      store,
      teamMsgInput.parse({ operation: 'log', session_id: 's', to: 'IMPL-001', summary: 'hi' }),
      COORDINATOR,
    );
    const mailbox = await runTeamMsg(store, teamMsgInput.parse({ operation: 'read_mailbox', session_id: 's' }), worker);
    expect(mailbox.role).toBe('IMPL-001');
    expect(mailbox.messages?.map((m) => [m.summary, m.sender_agent_id])).toEqual([['hi', null]]);
  });

  it('gives no argument that could set the sender agent id', async () => {
    const result = teamMsgInput.safeParse({ operation: 'log', session_id: 's', sender_agent_id: 'forged' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/unknown field 'sender_agent_id'/);
  });
});
