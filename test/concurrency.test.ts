/**
 * Many processes on one database at once, as in a real team: the coordinator's server, each
 * worker's server and people's shells all write to the same session.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/bus/db.js';
import { createMessageStore } from '../src/bus/message-store.js';
import { inParallel } from './helpers/bus-clients.js';
import { tempDbFile } from './helpers/temp.js';

describe('8 processes logging into one session at once', () => {
  it('store every message exactly once with ids MSG-001…MSG-N contiguous', async () => {
    const file = tempDbFile();
    openDatabase(file).close(); // create and migrate once, as the first server would
    const perProcess = 250;
    const written = await inParallel((i) => ['log', file, 'race', `IMPL-00${i + 1}`, String(perProcess)], 8);

    const total = 8 * perProcess;
    const all = written.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);

    const store = createMessageStore(openDatabase(file));
    const stored = store.list('race', {}, { limit: 100, sinceSeq: 0 });
    expect(stored.total).toBe(total);
    const ids: string[] = [];
    for (let since = 0; ;) {
      const page = store.list('race', {}, { limit: 100, sinceSeq: since });
      ids.push(...page.messages.map((m) => m.id));
      if (!page.has_more) break;
      since = Number(ids[ids.length - 1]!.slice(4));
    }
    const expected = Array.from({ length: total }, (_, i) => `MSG-${String(i + 1).padStart(3, '0')}`);
    expect(ids).toEqual(expected);
    expect([...all].sort()).toEqual([...expected].sort());
    // each writer's own messages are in the order it wrote them
    for (let w = 0; w < 8; w++) {
      const mine = store.list('race', { from: `IMPL-00${w + 1}` }, { limit: 100, sinceSeq: 0 });
      expect(mine.total).toBe(perProcess);
      expect(mine.messages.map((m) => m.data.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }
  });
});

describe('concurrent read_mailbox', () => {
  it('delivers each message, broadcasts included, to exactly one of the competing readers', async () => {
    const file = tempDbFile();
    const store = createMessageStore(openDatabase(file));
    const addressed: string[] = [];
    for (let i = 0; i < 600; i++) {
      const to = i % 5 === 0 ? 'all' : i % 7 === 0 ? 'IMPL-002' : 'IMPL-001';
      const message = store.log({
        session_id: 'mb',
        from: 'coordinator',
        to,
        type: 'message',
        summary: `m${i}`,
        data: {},
        sender_agent_id: null,
      });
      if (to !== 'IMPL-002') addressed.push(message.id);
    }
    const delivered = await inParallel(() => ['mailbox', file, 'mb', 'IMPL-001', '3'], 6);
    const all = delivered.flat();
    expect(all).toHaveLength(addressed.length);
    expect(new Set(all).size).toBe(addressed.length);
    expect([...all].sort()).toEqual([...addressed].sort());
    expect(delivered.filter((ids) => ids.length > 0).length).toBeGreaterThan(1); // they really competed
    expect(store.mailboxStatus('mb', 'IMPL-001')).toEqual([
      { role: 'IMPL-001', total: addressed.length, delivered: addressed.length, unread: 0 },
    ]);
  });
});
