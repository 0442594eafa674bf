import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../src/bus/db.js';
import { LIMITS } from '../src/bus/message.js';
import { toFtsQuery } from '../src/bus/message-store.js';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import type { NewMessage } from '../src/store/records.js';
import { COLUMNS } from '../src/bus/message-rows.js';
import { SCHEMA_VERSION } from '../src/bus/migrations.js';
import { resolveDbPath } from '../src/bus/paths.js';
import { MaestroError } from '../src/errors.js';
import { tempDbFile, tempDir } from './helpers/temp.js';

function storeAt(file = tempDbFile()) {
  return openSqliteStore(file).messages;
}

function msg(overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    session_id: 's1',
    from: 'IMPL-001',
    to: 'coordinator',
    type: 'progress',
    summary: '[IMPL-001] step (50%)',
    data: { task_id: 'IMPL-001', progress_pct: 50 },
    sender_agent_id: null,
    ...overrides,
  };
}

describe('database file', () => {
  it('creates the directory and file owner-only, in WAL mode, at the current schema version', async () => {
    const file = tempDbFile();
    const db = openDatabase(file);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(5000);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('opens an existing database again without re-running migrations or losing data', async () => {
    const file = tempDbFile();
    await storeAt(file).log(msg());
    const again = storeAt(file);
    expect((await again.list('s1', {}, { limit: 10 })).messages).toHaveLength(1);
  });

  it('refuses a database written by a newer maestro, saying so', async () => {
    const file = tempDbFile();
    openDatabase(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer than this maestro/);
  });
});

/** Overwrites the first bytes of the root page of `table`: the b-tree's page header. */
function damageTable(file: string, table: string): void {
  const raw = new Database(file);
  const { rootpage } = raw.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(table) as {
    rootpage: number;
  };
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  const bytes = readFileSync(file);
  bytes.fill(0x07, (rootpage - 1) * pageSize, (rootpage - 1) * pageSize + 3);
  writeFileSync(file, bytes);
}

async function storageFailure(open: () => unknown): Promise<MaestroError> {
  try {
    await open();
  } catch (error) {
    expect(error).toBeInstanceOf(MaestroError);
    expect((error as MaestroError).code).toBe('storage');
    return error as MaestroError;
  }
  throw new Error('expected the open to fail');
}

describe('a damaged or missing database file', () => {
  it('refuses a 0-byte file instead of taking it for a new database, naming it and how to recover', async () => {
    const file = tempDbFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '');
    const error = await storageFailure(() => openDatabase(file));
    expect(error.message).toContain(`database ${file} is an empty file (0 bytes)`);
    expect(error.message).toMatch(/To recover: .*move .*maestro\.db-wal and maestro\.db-shm/);
    expect(statSync(file).size).toBe(0); // left as it was found, for the person to look at
  });

  it('refuses a file that is not a database, naming it', async () => {
    const file = tempDbFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'not a database at all, but long enough to have a header '.repeat(100));
    expect((await storageFailure(() => openDatabase(file))).message).toMatch(
      new RegExp(`^database ${file} is damaged: file is not a database .*To recover`),
    );
  });

  it('checks the small tables at every open and the whole file when asked, naming the file', async () => {
    const agentsDamaged = tempDbFile();
    await storeAt(agentsDamaged).log(msg());
    damageTable(agentsDamaged, 'agents');
    expect((await storageFailure(() => openDatabase(agentsDamaged))).message).toMatch(
      new RegExp(`^database ${agentsDamaged} is damaged.*To recover`),
    );

    // A damaged message log passes the quick open (a later read of it fails, naming the file);
    // the full check, which the coordinator's server runs, finds it.
    const messagesDamaged = tempDbFile();
    await storeAt(messagesDamaged).log(msg());
    damageTable(messagesDamaged, 'messages');
    openDatabase(messagesDamaged).close();
    expect((await storageFailure(() => openDatabase(messagesDamaged, { check: 'full' }))).message).toMatch(
      new RegExp(`^database ${messagesDamaged} is damaged`),
    );
  });

  it('creates a database complete or not at all: no empty file, no leftovers beside it', async () => {
    const file = tempDbFile();
    openDatabase(file).close();
    expect(statSync(file).size).toBeGreaterThan(0);
    expect(readdirSync(path.dirname(file)).filter((f) => f.includes('.new-'))).toEqual([]);
    expect(() => openDatabase(tempDbFile(), { create: false })).toThrow(/no maestro database at .* yet/);
  });

  it('refuses writes once its file is deleted while open, and keeps refusing', async () => {
    const file = tempDbFile();
    const store = storeAt(file);
    await store.log(msg());
    rmSync(path.dirname(file), { recursive: true }); // rm -rf .maestro while the server runs
    const error = await storageFailure(() => store.log(msg()));
    expect(error.message).toMatch(new RegExp(`^database ${file} was deleted while this process had it open`));
    expect(error.message).toMatch(/Restart maestro/);
    await storeAt(file).log(msg()); // another process starts afresh at the path…
    await expect(store.log(msg())).rejects.toThrow(/was deleted/); // …which is not the file this one opened
  });

  it('refuses writes once its file is replaced by another', async () => {
    const file = tempDbFile();
    const store = storeAt(file);
    await store.log(msg());
    const other = path.join(tempDir(), 'other.db');
    openDatabase(other).close();
    renameSync(other, file);
    await expect(store.log(msg())).rejects.toThrow(new RegExp(`^database ${file} was replaced`));
    expect(existsSync(file)).toBe(true);
  });
});

describe('database location', () => {
  it('is .maestro/maestro.db at the git top-level, found from a subdirectory', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, '.git'));
    mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
    const location = resolveDbPath({ cwd: path.join(root, 'a', 'b'), env: {} });
    expect(location).toEqual({
      file: path.join(root, '.maestro', 'maestro.db'),
      source: 'project',
      dataDir: path.join(root, '.maestro'),
    });
  });

  it('treats a linked worktree (a .git file) as its own top-level', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, '.git'), 'gitdir: /elsewhere\n');
    expect(resolveDbPath({ cwd: root, env: {} }).file).toBe(path.join(root, '.maestro', 'maestro.db'));
  });

  it('falls back to the working directory outside git, and obeys MAESTRO_DB and --db in that order', async () => {
    const dir = tempDir();
    expect(resolveDbPath({ cwd: dir, env: {} }).file).toBe(path.join(dir, '.maestro', 'maestro.db'));
    expect(resolveDbPath({ cwd: dir, env: { MAESTRO_DB: 'x.db' } })).toEqual({
      file: path.join(dir, 'x.db'),
      source: 'env',
      dataDir: dir,
    });
    expect(resolveDbPath({ cwd: dir, env: { MAESTRO_DB: 'x.db' }, db: '/tmp/y.db' })).toEqual({
      file: '/tmp/y.db',
      source: 'option',
      dataDir: '/tmp',
    });
  });
});

describe('log', () => {
  it('keeps counting past MSG-999', async () => {
    const store = storeAt();
    let last = '';
    for (let i = 0; i < 1001; i++) last = (await store.log(msg({ data: {} }))).id;
    expect(last).toBe('MSG-1001');
  });

  it('rejects oversized summary, data and message, stating the limit, and stores nothing', async () => {
    const store = storeAt();
    await expect(store.log(msg({ summary: 'x'.repeat(LIMITS.summaryChars + 1) }))).rejects.toThrow(
      `the limit is ${LIMITS.summaryChars}`,
    );
    await expect(store.log(msg({ data: { blob: 'x'.repeat(LIMITS.dataBytes) } }))).rejects.toThrow(
      `the limit is ${LIMITS.dataBytes} bytes`,
    );
    const bigSummary = 'é'.repeat(LIMITS.summaryChars); // 2 bytes each
    const bigData = { blob: 'x'.repeat(LIMITS.dataBytes - 20) };
    await expect(store.log(msg({ summary: bigSummary, data: bigData }))).rejects.toThrow(
      `the limit is ${LIMITS.messageBytes} bytes`,
    );
    expect((await store.list('s1', {}, { limit: 10 })).total).toBe(0);
    expect((await store.log(msg())).id).toBe('MSG-001');
  });

  it('merges state_update data into the sender role state (JSON merge patch)', async () => {
    const store = storeAt();
    await store.log(msg({ from: 'PLAN-001', type: 'state_update', data: { phase: 'analyse', files: ['a'] } }));
    await store.log(msg({ from: 'PLAN-001', type: 'state_update', data: { phase: 'write', done: true } }));
    await store.log(msg({ from: 'PLAN-001', type: 'progress', data: { phase: 'ignored' } }));
    const [state] = await store.roleStates('s1', 'PLAN-001');
    expect(state).toMatchObject({
      role: 'PLAN-001',
      state: { phase: 'write', files: ['a'], done: true },
      updated_by: 'MSG-002',
    });
    await store.log(msg({ from: 'PLAN-001', type: 'state_update', data: { done: null } }));
    expect((await store.roleStates('s1', 'PLAN-001'))[0]!.state).toEqual({ phase: 'write', files: ['a'] });
  });
});

describe('list', () => {
  async function seeded() {
    const store = storeAt();
    for (let i = 1; i <= 30; i++) {
      await store.log(msg({ from: `IMPL-00${i % 3}`, type: i % 2 ? 'progress' : 'blocker', summary: `step ${i}` }));
    }
    return store;
  }

  it('returns the newest N oldest-first, with the total that match', async () => {
    const page = await (await seeded()).list('s1', { types: ['progress'] }, { limit: 5 });
    expect(page.total).toBe(15);
    expect(page.messages.map((m) => m.summary)).toEqual(['step 21', 'step 23', 'step 25', 'step 27', 'step 29']);
  });

  it('filters by from, to and several types together', async () => {
    const store = await seeded();
    await store.log(msg({ from: 'coordinator', to: 'PLAN-001', summary: 'direct' }));
    expect((await store.list('s1', { to: 'PLAN-001' }, { limit: 10 })).messages.map((m) => m.summary)).toEqual([
      'direct',
    ]);
    const mixed = await store.list('s1', { from: 'IMPL-001', types: ['progress', 'blocker'] }, { limit: 100 });
    expect(mixed.total).toBe(10);
    expect(mixed.messages.every((m) => m.from === 'IMPL-001')).toBe(true);
  });

  it('pages forward with a since cursor without gaps or repeats', async () => {
    const store = await seeded();
    const seen: string[] = [];
    let since = 0;
    for (;;) {
      const page = await store.list('s1', { types: ['progress'] }, { limit: 4, sinceSeq: since });
      seen.push(...page.messages.map((m) => m.summary));
      if (!page.has_more) break;
      since = Number(page.messages[page.messages.length - 1]!.id.slice(4));
    }
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => `step ${2 * i + 1}`));
  });

  it('is empty, not an error, for a session nobody has written to', async () => {
    expect(await storeAt().list('nobody', {}, { limit: 10 })).toEqual({ total: 0, messages: [], has_more: false });
  });
});

describe('search', () => {
  it('finds words in summary and data, all words required, with prefix matching', async () => {
    const store = storeAt();
    await store.log(msg({ summary: 'schema migration done', data: { key_info: 'added users table' } }));
    await store.log(msg({ summary: 'tests written', data: { key_info: 'users endpoint covered' } }));
    await store.log(msg({ session_id: 'other', summary: 'schema elsewhere' }));
    expect((await store.search('s1', 'schema', {}, 10)).messages.map((m) => m.id)).toEqual(['MSG-001']);
    expect((await store.search('s1', 'users', {}, 10)).total).toBe(2);
    expect((await store.search('s1', 'users covered', {}, 10)).messages.map((m) => m.id)).toEqual(['MSG-002']);
    expect((await store.search('s1', 'migr*', {}, 10)).total).toBe(1);
  });

  it('finds every message committed before the search, across deletes and more than one indexing batch', async () => {
    const file = tempDbFile();
    const store = storeAt(file);
    for (let i = 0; i < 4500; i++) await store.log(msg({ summary: `bulk ${i}`, data: {} }));
    expect((await store.search('s1', 'bulk', {}, 10)).total).toBe(4500);

    await store.log(msg({ summary: 'needle one' }));
    const two = await store.log(msg({ summary: 'needle two' }));
    expect((await store.search('s1', 'needle', {}, 10)).total).toBe(2);
    await store.remove('s1', Number(two.id.slice(4))); // indexed, newest row
    const three = await store.log(msg({ summary: 'needle three' })); // must not inherit the deleted row's place
    await store.remove('s1', 1); // indexed, oldest
    expect((await store.search('s1', 'needle', {}, 10)).messages.map((m) => m.summary)).toEqual([
      'needle one',
      'needle three',
    ]);
    await store.remove('s1', Number(three.id.slice(4))); // indexed by the search above
    const four = await store.log(msg({ summary: 'needle four' }));
    await store.remove('s1', Number(four.id.slice(4))); // never indexed
    expect((await store.search('s1', 'needle', {}, 10)).messages.map((m) => m.summary)).toEqual(['needle one']);
    expect((await store.search('s1', 'bulk', {}, 10)).total).toBe(4499);

    const db = openDatabase(file);
    expect(() => db.prepare("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')").run()).not.toThrow();
    db.close();
  });

  it('treats FTS syntax in the query as plain words, never as a syntax error', async () => {
    const store = storeAt();
    await store.log(msg({ summary: 'quote " and AND OR NEAR( parens' }));
    expect((await store.search('s1', '"quote" AND NEAR( ', {}, 10)).total).toBe(1);
    expect(toFtsQuery('a"b c*')).toBe('"a""b" "c"*');
    expect(() => toFtsQuery('  * ')).toThrow(/at least one word/);
  });
});

describe('delete and clear', () => {
  it('delete removes one message; its id is never handed out again', async () => {
    const store = storeAt();
    await store.log(msg());
    await store.log(msg());
    expect((await store.remove('s1', 2))?.id).toBe('MSG-002');
    expect(await store.remove('s1', 2)).toBeNull();
    expect((await store.log(msg())).id).toBe('MSG-003');
    expect((await store.list('s1', {}, { limit: 10 })).total).toBe(2);
  });

  it('clear removes only that session’s messages, keeps role state and other sessions, and never reuses ids', async () => {
    const store = storeAt();
    await store.log(msg({ type: 'state_update', data: { phase: 'x' } }));
    await store.log(msg());
    await store.log(msg({ session_id: 's2' }));
    expect(await store.clear('s1')).toBe(2);
    expect((await store.list('s1', {}, { limit: 10 })).total).toBe(0);
    expect((await store.search('s1', 'step', {}, 10)).total).toBe(0);
    expect((await store.list('s2', {}, { limit: 10 })).total).toBe(1);
    expect(await store.roleStates('s1')).toHaveLength(1);
    expect((await store.log(msg())).id).toBe('MSG-003');
  });
});

describe('mailbox', () => {
  it('reports counts by delivery state and who a message was delivered to', async () => {
    const store = storeAt();
    const direct = await store.log(msg({ from: 'coordinator', to: 'IMPL-001' }));
    const everyone = await store.log(msg({ from: 'coordinator', to: 'all' }));
    await store.log(msg({ from: 'IMPL-001', to: 'coordinator' }));
    await store.readMailbox('s1', 'IMPL-001', 1);
    expect(await store.mailboxStatus('s1', 'IMPL-001')).toEqual([
      { role: 'IMPL-001', total: 2, delivered: 1, unread: 1 },
    ]);
    expect((await store.mailboxStatus('s1')).map((m) => m.role)).toEqual(['IMPL-001', 'coordinator']);
    expect(await store.deliveredTo('s1', direct)).toEqual(['IMPL-001']);
    expect(await store.deliveredTo('s1', everyone)).toEqual([]);
    await store.readMailbox('s1', 'IMPL-001', 10);
    expect(await store.deliveredTo('s1', everyone)).toEqual(['IMPL-001']);
  });
});

describe('status and sessions', () => {
  it('status gives each sender its message count, last seen time and last action', async () => {
    const store = storeAt();
    await store.log(msg({ from: 'IMPL-001', summary: 'first' }));
    await store.log(msg({ from: 'PLAN-001', type: 'task_complete', summary: 'planned' }));
    const last = await store.log(msg({ from: 'IMPL-001', type: 'blocker', summary: 'stuck' }));
    expect(await store.status('s1')).toEqual([
      {
        role: 'IMPL-001',
        messages: 2,
        last_seen: last.ts,
        last_action: { id: 'MSG-003', type: 'blocker', to: 'coordinator', summary: 'stuck' },
      },
      expect.objectContaining({ role: 'PLAN-001', messages: 1 }),
    ]);
  });

  it('sessions lists each session with counts and last activity, most recent first', async () => {
    const store = storeAt();
    await store.log(msg({ session_id: 'old' }));
    await store.log(msg({ session_id: 'new', from: 'A' }));
    const last = await store.log(msg({ session_id: 'new', from: 'B' }));
    const sessions = await store.sessions();
    expect(sessions[0]).toMatchObject({
      session_id: 'new',
      messages: 2,
      members: 2,
      last_id: 'MSG-002',
      last_activity: last.ts,
    });
    expect(sessions[1]).toMatchObject({ session_id: 'old', messages: 1 });
  });
});

describe('errors', () => {
  it('are MaestroErrors with stable codes', async () => {
    try {
      await storeAt().log(msg({ summary: 'x'.repeat(LIMITS.summaryChars + 1) }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MaestroError);
      expect((error as MaestroError).code).toBe('too_large');
    }
  });
});

describe('schema', () => {
  it('has exactly the message columns the row type reads, plus the row id (its place in the feed) and whom it is news for', async () => {
    const db = openDatabase(tempDbFile());
    const columns = (db.prepare('PRAGMA table_info(messages)').all() as { name: string }[]).map((c) => c.name);
    expect(columns.sort()).toEqual(['row_id', 'news_for', ...COLUMNS.split(', ')].sort());
    db.close();
  });
});
