/**
 * The store contract: what every Store implementation (store/store.ts) must do, written once.
 * test/store-contract-sqlite.test.ts runs it against SQLite; a PostgreSQL store runs the same.
 * Each case states a guarantee the rest of maestro relies on; none depends on timing.
 */
import { describe, expect, it } from 'vitest';
import type { NewHost } from '../src/store/host-store.js';
import type { NewAgent, NewMessage } from '../src/store/records.js';
import type { Change, Store } from '../src/store/store.js';
import type { BusJob } from './helpers/bus-processes.js';
import { newAgent } from './helpers/new-agent.js';
import { until } from './helpers/project.js';

export interface ContractStore extends Store {
  /** Runs each job in its own OS process on this store's database, started together. */
  inOtherProcesses(jobs: BusJob[]): Promise<string[][]>;
  /** Closes the store and removes what it made. */
  cleanup(): Promise<void>;
}

const msg = (overrides: Partial<NewMessage> = {}): NewMessage => ({
  session_id: 's1',
  from: 'IMPL-001',
  to: 'coordinator',
  type: 'progress',
  summary: 'step',
  data: {},
  sender_agent_id: null,
  ...overrides,
});

const agent = (id: string, overrides: Partial<NewAgent> = {}): NewAgent => newAgent(id, { cwd: '/tmp', ...overrides });
const LIMITS = { maxOpenAgents: 50, maxDepth: 5 };

const ids = (n: number) => Array.from({ length: n }, (_, i) => `MSG-${String(i + 1).padStart(3, '0')}`);

/** Every message of the session, paged forward with the since cursor. */
async function allIds(store: Store, session: string): Promise<string[]> {
  const out: string[] = [];
  for (let since = 0; ;) {
    const page = await store.messages.list(session, {}, { limit: 100, sinceSeq: since });
    out.push(...page.messages.map((m) => m.id));
    if (!page.has_more) return out;
    since = Number(out[out.length - 1]!.slice(4));
  }
}

/** Resolves at the notifier's next call, or rejects after `ms` (a generous bound, never a measurement). */
function nextChange(store: Store, ms = 30_000): Promise<Change> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (unsubscribe(), reject(new Error(`no change notice within ${ms} ms`))), ms);
    const unsubscribe = store.changes.subscribe((change) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(change);
    });
  });
}

export function describeStoreContract(name: string, open: () => Promise<ContractStore>): void {
  const withStore = (test: (store: ContractStore) => Promise<void>) => async () => {
    const store = await open();
    try {
      await test(store);
    } finally {
      await store.cleanup();
    }
  };

  describe(`store contract: ${name}`, () => {
    describe('message ids', () => {
      it(
        'are per session MSG-001, MSG-002, … and contiguous when this process writes concurrently',
        withStore(async (store) => {
          const logged = await Promise.all(
            Array.from({ length: 40 }, (_, i) => store.messages.log(msg({ session_id: i % 2 ? 'a' : 'b' }))),
          );
          expect(
            logged
              .filter((m) => m.session_id === 'a')
              .map((m) => m.id)
              .sort(),
          ).toEqual(ids(20));
          expect(await allIds(store, 'b')).toEqual(ids(20));
          expect(await store.messages.lastSeq('a')).toBe(20);
          expect(await store.messages.lastSeq('nobody')).toBe(0);
        }),
      );

      it(
        'are contiguous, each stored once, when 8 processes log into one session at once',
        { timeout: 120_000 },
        withStore(async (store) => {
          const perProcess = 250;
          const jobs: BusJob[] = Array.from({ length: 8 }, (_, i) => ({
            mode: 'log',
            session: 'race',
            role: `IMPL-00${i + 1}`,
            count: perProcess,
          }));
          const written = (await store.inOtherProcesses(jobs)).flat();
          const total = 8 * perProcess;
          expect(new Set(written).size).toBe(total);
          expect(await allIds(store, 'race')).toEqual(ids(total));
          expect([...written].sort()).toEqual(ids(total).sort());
          // each writer's own messages are in the order it wrote them
          for (let w = 0; w < 8; w++) {
            const mine = await store.messages.list('race', { from: `IMPL-00${w + 1}` }, { limit: 100, sinceSeq: 0 });
            expect(mine.total).toBe(perProcess);
            expect(mine.messages.map((m) => m.data.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
          }
        }),
      );

      it(
        'pages back from the newest with beforeSeq, by a filter and by a search, to the oldest and no further',
        withStore(async (store) => {
          for (let i = 1; i <= 25; i++)
            await store.messages.log(
              msg({ type: i % 5 === 0 ? 'blocker' : 'progress', summary: i % 5 === 0 ? `stuck ${i}` : `step ${i}` }),
            );
          const back = async (
            read: (before?: number) => Promise<{ messages: { id: string }[]; has_more: boolean }>,
          ) => {
            const pages: string[][] = [];
            for (let before: number | undefined; ;) {
              const page = await read(before);
              pages.push(page.messages.map((m) => m.id));
              if (!page.has_more) return pages;
              before = Number(page.messages[0]!.id.slice(4));
            }
          };
          const all = await back((beforeSeq) => store.messages.list('s1', {}, { limit: 10, beforeSeq }));
          expect(all).toEqual([ids(25).slice(15), ids(25).slice(5, 15), ids(25).slice(0, 5)]);
          const blockers = await back((beforeSeq) =>
            store.messages.list('s1', { types: ['blocker'] }, { limit: 2, beforeSeq }),
          );
          expect(blockers).toEqual([['MSG-020', 'MSG-025'], ['MSG-010', 'MSG-015'], ['MSG-005']]);
          const found = await back((beforeSeq) => store.messages.search('s1', 'stuck', {}, 3, beforeSeq));
          expect(found).toEqual([
            ['MSG-015', 'MSG-020', 'MSG-025'],
            ['MSG-005', 'MSG-010'],
          ]);
          expect((await store.messages.search('s1', 'stuck', {}, 3)).total).toBe(5);
        }),
      );
    });

    describe('mailbox', () => {
      it(
        'delivers direct messages and broadcasts (not one’s own) once, oldest first',
        withStore(async (store) => {
          const { messages } = store;
          await messages.log(msg({ from: 'coordinator', to: 'IMPL-001', summary: 'do A' }));
          await messages.log(msg({ from: 'coordinator', to: 'all', summary: 'everyone' }));
          await messages.log(msg({ from: 'IMPL-001', to: 'all', summary: 'mine' }));
          await messages.log(msg({ from: 'coordinator', to: 'IMPL-002', summary: 'not mine' }));
          const read = async (role: string, limit: number) =>
            (await messages.readMailbox('s1', role, limit)).map((m) => m.summary);
          expect(await read('IMPL-001', 1)).toEqual(['do A']);
          expect(await read('IMPL-001', 10)).toEqual(['everyone']);
          expect(await read('IMPL-001', 10)).toEqual([]);
          expect(await read('IMPL-002', 10)).toEqual(['everyone', 'mine', 'not mine']);
          // readers in one process at once: each message to one of them
          for (let i = 0; i < 10; i++) await messages.log(msg({ from: 'coordinator', to: 'IMPL-003' }));
          const batches = await Promise.all([1, 2, 3, 4].map(() => messages.readMailbox('s1', 'IMPL-003', 3)));
          const got = batches.flat().map((m) => m.id);
          expect(new Set(got).size).toBe(got.length);
          expect(got.length).toBe(12); // the ten, and the two broadcasts above
        }),
      );

      it(
        'hands each message to exactly one of 6 competing reader processes',
        { timeout: 120_000 },
        withStore(async (store) => {
          const addressed: string[] = [];
          for (let i = 0; i < 600; i++) {
            const to = i % 5 === 0 ? 'all' : i % 7 === 0 ? 'IMPL-002' : 'IMPL-001';
            const message = await store.messages.log(
              msg({ from: 'coordinator', to, session_id: 'mb', summary: `m${i}` }),
            );
            if (to !== 'IMPL-002') addressed.push(message.id);
          }
          const job: BusJob = { mode: 'mailbox', session: 'mb', role: 'IMPL-001', batch: 3 };
          const others = await store.inOtherProcesses(Array.from({ length: 6 }, () => job));
          const all = others.flat();
          expect(all).toHaveLength(addressed.length);
          expect([...all].sort()).toEqual([...addressed].sort());
          expect(others.filter((got) => got.length > 0).length).toBeGreaterThan(1); // they really competed
          expect(await store.messages.mailboxStatus('mb', 'IMPL-001')).toEqual([
            { role: 'IMPL-001', total: addressed.length, delivered: addressed.length, unread: 0 },
          ]);
        }),
      );
    });

    describe('agents', () => {
      it(
        'transitions are compare-and-swap: an illegal one changes nothing, of two concurrent ones one wins',
        withStore(async (store) => {
          await store.agents.reserve(agent('A1'), LIMITS);
          expect(await store.agents.transition('A1', 'completed')).toEqual({
            ok: false,
            reason: 'illegal',
            from: 'pending_init',
          });
          expect(await store.agents.transition('nobody', 'running')).toEqual({ ok: false, reason: 'not_found' });
          expect((await store.agents.beginTurn('A1', 'do it')).ok).toBe(true);
          const raced = await Promise.all([
            store.agents.transition('A1', 'completed'),
            store.agents.transition('A1', 'interrupted'),
            store.agents.transition('A1', 'completed'),
          ]);
          expect(raced.filter((o) => o.ok)).toHaveLength(1);
          const winner = raced.find((o) => o.ok)!;
          expect(winner.ok && winner.agent.status).toBe((await store.agents.get('A1'))!.status);
          // from an ended turn, of two concurrent starts of the next one, one starts it
          const starts = await Promise.all([
            store.agents.beginTurn('A1', 'next'),
            store.agents.beginTurn('A1', 'next'),
          ]);
          expect(starts.filter((o) => o.ok)).toHaveLength(1);
          expect((await store.agents.get('A1'))!.turn).toBe(2);
        }),
      );

      it(
        'a spawn beyond the open-agent limit is refused, and a task name is taken once',
        withStore(async (store) => {
          const tries = await Promise.allSettled(
            ['A', 'B', 'C', 'D'].map((id) => store.agents.reserve(agent(id), { maxOpenAgents: 2, maxDepth: 5 })),
          );
          expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(2);
          await expect(store.agents.reserve(agent('E', { task_name: 'A' }), LIMITS)).rejects.toMatchObject({
            code: 'conflict',
          });
        }),
      );

      it(
        'news reaches its recipient once: a completion and a message, taken by one of two concurrent consumers',
        withStore(async (store) => {
          await store.agents.reserve(agent('P'), LIMITS);
          await store.agents.reserve(agent('C', { parent_id: 'P', depth: 2, path: '/P/C' }), LIMITS);
          await store.agents.beginTurn('C', 'work');
          const ended = await store.agents.endTurn('C', 1, { status: 'completed', final_message: 'done' });
          expect(ended?.ok).toBe(true);
          await store.messages.log(msg({ from: 'C', to: 'P', type: 'message', sender_agent_id: 'C' }), 'P');
          const [one, two] = await Promise.all([
            store.agents.consumeNews('s1', 'P'),
            store.agents.consumeNews('s1', 'P'),
          ]);
          const taken = [...one, ...two];
          expect(taken.map((n) => n.kind).sort()).toEqual(['final', 'message']);
          expect(await store.agents.consumeNews('s1', 'P')).toEqual([]);
          expect(await store.agents.consumeNews('s1', 'client:')).toEqual([]); // the coordinator had none
        }),
      );
    });

    describe('closing', () => {
      it(
        'a closed agent cannot start agents of its own, nor can an agent that does not exist',
        withStore(async (store) => {
          await store.agents.reserve(agent('P'), LIMITS);
          await store.agents.reserve(agent('C1', { parent_id: 'P', depth: 2, path: '/P/C1' }), LIMITS);
          await store.agents.transition('P', 'shutdown', 'closed by coordinator');
          await expect(
            store.agents.reserve(agent('C2', { parent_id: 'P', depth: 2, path: '/P/C2' }), LIMITS),
          ).rejects.toMatchObject({
            code: 'conflict',
            message: 'P was closed; a closed agent cannot start agents of its own',
          });
          await expect(
            store.agents.reserve(agent('C3', { parent_id: 'GHOST', depth: 2, path: '/GHOST/C3' }), LIMITS),
          ).rejects.toMatchObject({ code: 'not_found' });
          expect((await store.agents.descendants((await store.agents.get('P'))!)).map((a) => a.id)).toEqual(['C1']);
        }),
      );
    });

    describe('units of work', () => {
      it(
        'commit every write together',
        withStore(async (store) => {
          await store.agents.reserve(agent('A1'), LIMITS);
          const seq = await store.transaction(async (tx) => {
            const m = await tx.messages.log(msg({ to: 'A1', type: 'message' }), 'A1');
            await tx.agents.beginTurn('A1', 'go');
            return Number(m.id.slice(4));
          });
          expect(seq).toBe(1);
          expect(await store.messages.lastSeq('s1')).toBe(1);
          expect((await store.agents.get('A1'))!.status).toBe('running');
          expect((await store.agents.consumeNews('s1', 'A1')).map((n) => n.message_seq)).toEqual([1]);
        }),
      );

      it(
        'roll every write back when the work throws, nested units included, and rethrow the error',
        withStore(async (store) => {
          await store.agents.reserve(agent('A1'), LIMITS);
          const failure = new Error('changed my mind');
          await expect(
            store.transaction(async (tx) => {
              await tx.messages.log(msg({ to: 'A1', type: 'message' }), 'A1');
              await tx.transaction(async (inner) => {
                await inner.agents.beginTurn('A1', 'go');
                await inner.messages.log(msg({ type: 'state_update', data: { phase: 'x' } }));
              });
              throw failure;
            }),
          ).rejects.toBe(failure);
          expect(await store.messages.lastSeq('s1')).toBe(0);
          expect(await allIds(store, 's1')).toEqual([]);
          expect(await store.messages.roleStates('s1')).toEqual([]);
          expect((await store.agents.get('A1'))!.status).toBe('pending_init');
          expect(await store.agents.consumeNews('s1', 'A1')).toEqual([]);
          // and the next write numbers from where the committed ones left off
          expect((await store.messages.log(msg())).id).toBe('MSG-001');
        }),
      );

      it(
        'are not joined by calls made meanwhile on the store: those see only committed writes',
        withStore(async (store) => {
          let during: Promise<number> | null = null;
          await expect(
            store.transaction(async (tx) => {
              await tx.messages.log(msg());
              during = store.messages.list('s1', {}, { limit: 10 }).then((page) => page.total);
              await tx.messages.log(msg());
              throw new Error('rolled back');
            }),
          ).rejects.toThrow('rolled back');
          expect(await during!).toBe(0);
          expect(await store.messages.lastSeq('s1')).toBe(0);
        }),
      );
    });

    describe('change notices', () => {
      it(
        'fire after a committed write made through this store, also one in a unit of work',
        withStore(async (store) => {
          const direct = nextChange(store);
          await store.messages.log(msg());
          expect(await direct).toEqual({ foreign: false });
          const unit = nextChange(store);
          await store.transaction(async (tx) => void (await tx.messages.log(msg())));
          expect(await unit).toEqual({ foreign: false });
          const waited = store.changes.next(60_000);
          await store.messages.log(msg());
          await waited; // `next` resolves at the change, long before its time-out
        }),
      );

      it(
        'fire after another process writes, saying the change is foreign',
        { timeout: 120_000 },
        withStore(async (store) => {
          await store.messages.log(msg()); // the database exists before the other process opens it
          const changed = nextChange(store, 60_000);
          await store.inOtherProcesses([{ mode: 'log', session: 's1', role: 'OTHER', count: 1 }]);
          expect(await changed).toEqual({ foreign: true });
          expect(await store.messages.lastSeq('s1')).toBe(2);
        }),
      );
    });

    describe('the event feed', () => {
      it(
        'is one sequence that only grows, with no gap, under writers of messages and agents in several processes',
        { timeout: 120_000 },
        withStore(async (store) => {
          await store.messages.log(msg()); // the database exists before the other processes open it
          await store.inOtherProcesses([
            { mode: 'log', session: 'race', role: 'W1', count: 120 },
            { mode: 'log', session: 'race', role: 'W2', count: 120 },
            { mode: 'agents', session: 'race', role: 'A', count: 15 },
            { mode: 'agents', session: 'race', role: 'B', count: 15 },
          ]);
          const seqs: number[] = [];
          const mine: string[] = [];
          for (let since = 0; ;) {
            const page = await store.feed.read({ since, limit: 100 });
            for (const e of page.events) {
              seqs.push(e.seq);
              if (e.agent_id === 'B-7') mine.push(e.type === 'agent' ? `agent>${e.to}` : e.type);
            }
            if (!page.has_more) break;
            since = seqs.at(-1)!;
          }
          // per agent: spawned, running, turn started, completed, turn ended
          const total = 1 + 2 * 120 + 2 * 15 * 5;
          expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
          expect(await store.feed.head()).toBe(total);
          expect(mine).toEqual([
            'agent>pending_init',
            'agent>running',
            'turn_started',
            'agent>completed',
            'turn_ended',
          ]);
        }),
      );

      it(
        'records a change in the unit of work that makes it: rolled back, the event is gone too',
        withStore(async (store) => {
          await store.agents.reserve(agent('A1'), LIMITS);
          const head = await store.feed.head();
          await expect(
            store.transaction(async (tx) => {
              await tx.agents.beginTurn('A1', 'go');
              await tx.messages.log(msg());
              throw new Error('no');
            }),
          ).rejects.toThrow('no');
          expect(await store.feed.head()).toBe(head);
          expect((await store.feed.read({ since: head, limit: 10 })).events).toEqual([]);
          await store.agents.beginTurn('A1', 'go');
          expect((await store.feed.read({ since: head, limit: 10 })).events.map((e) => e.type)).toEqual([
            'agent',
            'turn_started',
          ]);
        }),
      );

      it(
        'news cursors are per recipient: peeking takes nothing, a wait on named targets leaves the rest, nothing comes twice',
        withStore(async (store) => {
          await store.agents.reserve(agent('P'), LIMITS);
          for (const c of ['L', 'R']) {
            await store.agents.reserve(agent(c, { parent_id: 'P', depth: 2, path: `/P/${c}` }), LIMITS);
            await store.agents.beginTurn(c, 'work');
          }
          await store.agents.endTurn('L', 1, { status: 'completed' });
          await store.agents.endTurn('R', 1, { status: 'errored', error: 'broke' });
          await store.agents.report('L', { late: true }); // after its ending: not news again
          expect((await store.agents.pendingNews('s1', 'P')).map((n) => n.agent_id)).toEqual(['L', 'R']);
          expect((await store.agents.pendingNews('s1', 'P')).map((n) => n.agent_id)).toEqual(['L', 'R']);
          expect((await store.agents.consumeNews('s1', 'P', ['R'])).map((n) => n.agent_id)).toEqual(['R']);
          expect((await store.agents.consumeNews('s1', 'P')).map((n) => n.agent_id)).toEqual(['L']);
          expect(await store.agents.consumeNews('s1', 'P')).toEqual([]);
          // a follow-up makes the earlier ending stale: no longer news for anyone
          await store.agents.reserve(agent('Q', { parent_id: 'P', depth: 2, path: '/P/Q' }), LIMITS);
          await store.agents.beginTurn('Q', 'one');
          await store.agents.endTurn('Q', 1, { status: 'completed' });
          await store.agents.beginTurn('Q', 'two');
          expect(await store.agents.pendingNews('s1', 'P')).toEqual([]);
          // other recipients are untouched by all of this
          expect(await store.agents.pendingNews('s1', 'client:someone')).toEqual([]);
        }),
      );
    });

    describe('runtime truth', () => {
      it(
        'queued follow-ups run oldest first, each taken once with the turn that runs it, and go with a close',
        withStore(async (store) => {
          await store.agents.reserve(agent('W', { task: 'first' }), LIMITS);
          await store.agents.beginTurn('W', 'first', { timeoutMs: 60_000 });
          const one = await store.agents.queueFollowup('W', { text: 'framed: second', task: 'second' });
          await store.agents.queueFollowup('W', { text: 'framed: third', task: 'third' });
          expect((await store.agents.followups('W')).map((f) => f.task)).toEqual(['second', 'third']);
          expect((await store.agents.withFollowups()).map((a) => a.id)).toEqual(['W']);
          await store.agents.endTurn('W', 1, { status: 'completed' });
          // two servers start the same follow-up at once: one turn starts, the other changes nothing
          const starts = await Promise.allSettled([
            store.agents.beginTurn('W', one.task, { followupId: one.id }),
            store.agents.beginTurn('W', one.task, { followupId: one.id }),
          ]);
          expect(starts.filter((s) => s.status === 'fulfilled' && s.value.ok)).toHaveLength(1);
          const turns = await store.agents.turns('W');
          expect(turns.map((t) => t.task)).toEqual(['first', 'second']);
          expect(turns[0]!.deadline_at).not.toBeNull();
          expect((await store.agents.followups('W')).map((f) => f.task)).toEqual(['third']);
          // a follow-up taken by another start cannot start a turn again
          await store.agents.endTurn('W', 2, { status: 'completed' });
          await expect(store.agents.beginTurn('W', one.task, { followupId: one.id })).rejects.toMatchObject({
            code: 'conflict',
          });
          expect((await store.agents.get('W'))!.turn).toBe(2);
          await store.agents.transition('W', 'shutdown', 'closed by coordinator');
          expect(await store.agents.followups('W')).toEqual([]);
          const dropped = (await store.feed.read({ since: 0, limit: 100, types: ['followup_dropped'] })).events;
          expect(dropped).toMatchObject([{ type: 'followup_dropped', agent_id: 'W', count: 1 }]);
        }),
      );

      it(
        'a control request is carried out at most once: of a take and an expiry one wins, and an expired one is never taken',
        withStore(async (store) => {
          await store.agents.reserve(agent('W'), LIMITS);
          const ask = () =>
            store.control.request({
              session_id: 's1',
              agent_id: 'W',
              server: 'host/1/abc',
              args: { verb: 'followup', message: 'more' },
              requested_by: 'coordinator',
              requester_agent_id: null,
            });
          const first = await ask();
          expect(first).toMatchObject({
            state: 'pending',
            task_name: 'W',
            args: { verb: 'followup', message: 'more' },
          });
          expect((await store.control.pending('host/1/abc')).map((r) => r.id)).toEqual([first.id]);
          expect(await store.control.pending('host/2/def')).toEqual([]);
          const [taken, expired] = await Promise.all([
            store.control.take(first.id),
            store.control.expire(first.id, 'late'),
          ]);
          expect([taken, expired].filter(Boolean)).toHaveLength(1);
          if (taken) {
            expect(await store.control.take(first.id)).toBe(false);
            await store.control.finish(first.id, { ok: true, result: { queued: true } });
            expect(await store.control.get(first.id)).toMatchObject({ state: 'done', outcome: { ok: true } });
          } else {
            await expect(store.control.finish(first.id, { ok: true, result: {} })).rejects.toMatchObject({
              code: 'conflict',
            });
          }
          const second = await ask();
          expect(await store.control.expire(second.id, 'nobody took it')).toBe(true);
          expect(await store.control.take(second.id)).toBe(false);
          expect(await store.control.get(second.id)).toMatchObject({
            state: 'expired',
            outcome: { ok: false, code: 'timeout', message: 'nobody took it' },
          });
          const feed = (await store.feed.read({ since: 0, limit: 100, types: ['control_requested', 'control_done'] }))
            .events;
          expect(feed.map((e) => e.type)).toEqual([
            'control_requested',
            'control_done',
            'control_requested',
            'control_done',
          ]);
        }),
      );

      it(
        'a transcript read is a control request that leaves no event in the feed, and is discarded once answered',
        withStore(async (store) => {
          await store.agents.reserve(agent('W'), LIMITS);
          const head = await store.feed.head();
          const asked = await store.control.request({
            session_id: 's1',
            agent_id: 'W',
            server: 'host/1/abc',
            args: { verb: 'transcript', lines: 20 },
            requested_by: 'user',
            requester_agent_id: null,
          });
          expect(asked).toMatchObject({ state: 'pending', args: { verb: 'transcript', lines: 20 } });
          expect((await store.control.pending('host/1/abc')).map((r) => r.id)).toEqual([asked.id]);
          expect(await store.control.take(asked.id)).toBe(true);
          await store.control.finish(asked.id, { ok: true, result: { lines: ['one', 'two'] } });
          expect(await store.control.get(asked.id)).toMatchObject({
            state: 'done',
            outcome: { ok: true, result: { lines: ['one', 'two'] } },
          });
          await store.control.discard(asked.id);
          expect(await store.control.get(asked.id)).toBeNull();
          expect(await store.feed.head()).toBe(head);
          // Only a read is discarded: what acted on an agent stays on record.
          const acted = await store.control.request({
            session_id: 's1',
            agent_id: 'W',
            server: 'host/1/abc',
            args: { verb: 'interrupt' },
            requested_by: 'user',
            requester_agent_id: null,
          });
          await store.control.take(acted.id);
          await store.control.finish(acted.id, { ok: true, result: {} });
          await store.control.discard(acted.id);
          expect(await store.control.get(acted.id)).toMatchObject({ state: 'done' });
        }),
      );

      it(
        "each top-level client's session is kept, and the last one it settled on wins",
        withStore(async (store) => {
          expect(await store.agents.clientSession('100:5')).toBeNull();
          await store.agents.setClientSession('100:5', 's1');
          await store.agents.setClientSession('200:7', 's2');
          await store.agents.setClientSession('100:5', 's3');
          expect(await store.agents.clientSession('100:5')).toBe('s3');
          expect(await store.agents.clientSession('200:7')).toBe('s2');
        }),
      );
    });

    describe('news', () => {
      const kinds = (news: { kind: string; agent_id: string }[]) => news.map((n) => `${n.kind} ${n.agent_id}`);
      it(
        'each piece of news reaches one wait: a look takes nothing, a wait for some agents leaves the rest, competing waits split it',
        withStore(async (store) => {
          const me = 'client:100:1';
          for (const id of ['A', 'B']) {
            await store.agents.reserve(agent(id, { client_id: '100:1' }), LIMITS);
            await store.agents.beginTurn(id, 'do it', {});
          }
          await store.agents.report('A', { done: 'a' });
          await store.agents.report('B', { done: 'b' });
          await store.messages.log(msg({ from: 'A', type: 'message', sender_agent_id: 'A' }), '');
          const pending = await store.agents.pendingNews('s1', me);
          expect(kinds(pending)).toEqual(['final A', 'final B', 'message A']);
          expect(await store.agents.pendingNews('s1', me)).toEqual(pending);
          expect(kinds(await store.agents.consumeNews('s1', me, ['B']))).toEqual(['final B', 'message A']);
          expect(kinds(await store.agents.pendingNews('s1', me))).toEqual(['final A']);
          const takes = await Promise.all([1, 2, 3].map(() => store.agents.consumeNews('s1', me)));
          expect(kinds(takes.flat())).toEqual(['final A']);
          expect(await store.agents.pendingNews('s1', me)).toEqual([]);
          await store.messages.log(msg({ from: 'B', type: 'message', sender_agent_id: 'B' }), '');
          expect(kinds(await store.agents.consumeNews('s1', me))).toEqual(['message B']);
          expect(await store.agents.consumeNews('s1', me)).toEqual([]);
        }),
      );

      it(
        'a client that is gone leaves its agents, and the news it had not taken, to the client that adopts them',
        withStore(async (store) => {
          await store.agents.reserve(agent('X', { client_id: '100:1' }), LIMITS);
          await store.agents.reserve(agent('Y', { client_id: '200:2' }), LIMITS);
          await store.agents.beginTurn('Y', 'do it', {});
          await store.messages.log(msg({ from: 'X', summary: 'first', type: 'message', sender_agent_id: 'X' }), '');
          expect(kinds(await store.agents.consumeNews('s1', 'client:100:1'))).toEqual(['message X']);
          await store.messages.log(msg({ from: 'X', summary: 'second', type: 'message', sender_agent_id: 'X' }), '');
          await store.agents.report('Y', { done: 'y' });
          expect(await store.agents.otherClients('s1', '200:2')).toEqual(['100:1']);
          await store.agents.adoptOrphans('s1', '200:2', (client) => client === '100:1');
          expect(await store.agents.otherClients('s1', '200:2')).toEqual([]);
          expect((await store.agents.get('X'))!.client_id).toBe('200:2');
          const news = await store.agents.consumeNews('s1', 'client:200:2');
          expect(kinds(news)).toEqual(['message X', 'final Y']);
          expect((await store.messages.get('s1', news[0]!.message_seq!))!.summary).toBe('second');
          expect(await store.agents.pendingNews('s1', 'client:100:1')).toEqual([]);
        }),
      );
    });

    describe('steering and budgets', () => {
      it(
        'a directive is announced on the bus to everyone in the same write, in force until withdrawn',
        withStore(async (store) => {
          const { directive, message } = await store.steering.give('s1', 'Use tabs', 'user');
          expect(message).toMatchObject({ from: 'user', to: 'all', type: 'steering', summary: 'Use tabs' });
          expect(directive).toMatchObject({ id: 1, text: 'Use tabs', given_by: 'user', message_id: message.id });
          await store.steering.give('s1', 'Ship by five', 'user');
          await store.steering.give('s2', 'Elsewhere', 'user');
          expect((await store.steering.active('s1')).map((d) => d.text)).toEqual(['Use tabs', 'Ship by five']);
          expect((await store.steering.withdraw('s1', 'user', 1)).map((d) => d.id)).toEqual([1]);
          expect(await store.steering.withdraw('s1', 'user', 1)).toEqual([]);
          expect((await store.steering.active('s1')).map((d) => d.text)).toEqual(['Ship by five']);
          expect((await store.steering.withdraw('s1', 'user')).map((d) => d.text)).toEqual(['Ship by five']);
          expect(await store.steering.active('s1')).toEqual([]);
          expect((await store.steering.active('s2')).map((d) => d.text)).toEqual(['Elsewhere']);
        }),
      );

      it(
        "a session's budget replaces the one set before, keeps its clock unless restarted, and each notice is given once",
        withStore(async (store) => {
          expect(await store.budgets.get('s1')).toBeNull();
          const first = await store.budgets.set('s1', { usd: 0.5, max_agents: 3 });
          expect(first.limits).toEqual({ usd: 0.5, max_agents: 3 });
          const raised = await store.budgets.set('s1', { usd: 2 });
          expect(raised).toEqual({ session_id: 's1', limits: { usd: 2 }, started_at: first.started_at });
          const restarted = await store.budgets.set('s1', { usd: 2 }, '2030-01-01T00:00:00.000Z');
          expect(restarted.started_at).toBe('2030-01-01T00:00:00.000Z');

          const warns = await Promise.all([1, 2, 3].map(() => store.budgets.warn('s1', 'usd:80:2', first.started_at)));
          expect(warns.filter(Boolean)).toHaveLength(1);
          expect(await store.budgets.warn('s1', 'usd:100:2', first.started_at)).toBe(true);
          // A session without a budget of its own (the configuration's) keeps its notices too, and no limits.
          expect(await store.budgets.warn('s2', 'tokens:80:100', first.started_at)).toBe(true);
          expect(await store.budgets.warn('s2', 'tokens:80:100', first.started_at)).toBe(false);
          expect((await store.budgets.get('s2'))!.limits).toEqual({});
        }),
      );
    });

    describe('hosts', () => {
      const host = (name: string, overrides: Partial<NewHost> = {}): NewHost => ({
        name,
        machine: `machine-${name}`,
        labels: [],
        capacity: 2,
        server: `server-${name}`,
        pid: 4242,
        heartbeat_ms: 1000,
        lost_after_ms: 60_000,
        ...overrides,
      });

      it(
        'a name is held by one live host: a second is refused, a stopped or replaced one is taken over',
        withStore(async (store) => {
          const b = await store.hosts.register(host('b', { labels: ['gpu'] }));
          expect(b).toMatchObject({ name: 'b', state: 'live', fresh: true, labels: ['gpu'], server: 'server-b' });
          await expect(store.hosts.register(host('b', { server: 'other' }))).rejects.toThrow(
            /host name b is held by a running maestro host \(pid 4242 on machine-b\)/,
          );
          expect(await store.hosts.heartbeat('b', 'other')).toBe(false);
          expect(await store.hosts.heartbeat('b', 'server-b')).toBe(true);
          expect((await store.hosts.register(host('b', { server: 'next' }), 'server-b')).server).toBe('next');
          expect(await store.hosts.heartbeat('b', 'server-b')).toBe(false);
          await store.hosts.unregister('b', 'next');
          expect((await store.hosts.get('b'))!.state).toBe('stopped');
          expect((await store.hosts.register(host('b', { server: 'again' }))).state).toBe('live');
          expect((await store.hosts.list()).map((h) => h.name)).toEqual(['b']);
        }),
      );

      it(
        "a host silent past its bound is lost, by the database's clock, and one caller is told",
        withStore(async (store) => {
          await store.hosts.register(host('quiet', { lost_after_ms: 1 }));
          await store.hosts.register(host('busy'));
          await until(async () => !(await store.hosts.get('quiet'))!.fresh);
          const [first, second] = await Promise.all([store.hosts.markLost(), store.hosts.markLost()]);
          expect([...first!, ...second!].map((h) => [h.name, h.state])).toEqual([['quiet', 'lost']]);
          expect(await store.hosts.heartbeat('quiet', 'server-quiet')).toBe(false);
          expect((await store.hosts.get('busy'))!.state).toBe('live');
        }),
      );

      it(
        'a spawn request is claimed once, by its host or one with every label, oldest first',
        withStore(async (store) => {
          await store.agents.reserve(agent('a1'), LIMITS);
          await store.agents.reserve(agent('a2', { task_name: 'T2' }), LIMITS);
          await store.agents.reserve(agent('a3', { task_name: 'T3' }), LIMITS);
          const turn = { session_id: 's1', text: 'go', task: 'go', cwd: null };
          const forB = await store.hosts.requestSpawn({ ...turn, agent_id: 'a1', host: 'b', labels: [] });
          const forGpu = await store.hosts.requestSpawn({ ...turn, agent_id: 'a2', host: null, labels: ['gpu'] });
          const forAny = await store.hosts.requestSpawn({ ...turn, agent_id: 'a3', host: null, labels: [] });
          expect(forB).toMatchObject({ state: 'pending', host: 'b', taken_by: null });

          // c has no gpu: it may take only the request for any host.
          expect((await store.hosts.claimSpawn({ name: 'c', labels: ['big'] }))!.id).toBe(forAny.id);
          expect(await store.hosts.claimSpawn({ name: 'c', labels: ['big'] })).toBeNull();
          // Competing claimers: each request goes to one of them.
          const claims = await Promise.all(
            Array.from({ length: 6 }, () => store.hosts.claimSpawn({ name: 'b', labels: ['gpu', 'big'] })),
          );
          const taken = claims.filter((c) => c !== null);
          expect(taken.map((c) => c.id).sort((x, y) => x - y)).toEqual([forB.id, forGpu.id]);
          expect(taken.every((c) => c.state === 'taken' && c.taken_by === 'b')).toBe(true);

          await store.hosts.finishSpawn(forB.id, null);
          await store.hosts.finishSpawn(forGpu.id, 'claude is not installed');
          expect(await store.hosts.getSpawn(forGpu.id)).toMatchObject({
            state: 'failed',
            error: 'claude is not installed',
          });
          await expect(store.hosts.finishSpawn(forB.id, null)).rejects.toThrow(/not taken/);
          // An expiry and a claim race: one wins.
          await store.agents.reserve(agent('a4', { task_name: 'T4' }), LIMITS);
          const late = await store.hosts.requestSpawn({ ...turn, agent_id: 'a4', host: 'b', labels: [] });
          const [expired, claimed] = await Promise.all([
            store.hosts.expireSpawn(late.id, 'nobody came'),
            store.hosts.claimSpawn({ name: 'b', labels: [] }),
          ]);
          expect(expired !== (claimed !== null)).toBe(true);
        }),
      );
    });
  });
}
