/**
 * A team on PostgreSQL, end to end: the project's configuration names the database by URL
 * (`"database": "postgres://…"`), the MCP server spawns a real worker process whose own server
 * reaches the same database, and a person at a shell reads it with the same commands as ever —
 * `maestro msg`, `maestro agents`, `maestro events` (following live through LISTEN/NOTIFY).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maestro, spawnMaestro } from './helpers/cli.js';
import { findPgBin, freshDatabase, startPostgres, type PgServer } from './helpers/postgres.js';
import { startProject, until, worker } from './helpers/project.js';

const found = await findPgBin();
if ('missing' in found) process.stderr.write(`skipping the PostgreSQL end-to-end tests: ${found.missing}\n`);

describe.skipIf('missing' in found)('a team on PostgreSQL', () => {
  let server: PgServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('spawn → progress → report → wait, and the shell commands read it all from the same database', async () => {
    const url = await freshDatabase(server, `e2e_${process.pid}`);
    const p = await startProject({ config: { database: url } });
    const env = { MAESTRO_DB: url };
    const follower = spawnMaestro(['events', '--follow', '-s', 'TC-pg'], { env });
    let followed = '';
    follower.stdout!.on('data', (chunk: Buffer) => (followed += chunk.toString()));
    try {
      await p.ok('team_msg', { operation: 'log', session_id: 'TC-pg', summary: 'plan ready' });
      const spawned = await p.ok(
        'spawn_agent',
        worker(
          'IMPL-001',
          { progress: ['context loaded', 'core done'], report: { status: 'completed', findings: 'cart works' } },
          { session_id: 'TC-pg' },
        ),
      );
      const waited = await p.ok('wait_agent', { timeout_ms: 60_000 });
      expect(waited).toMatchObject({
        timed_out: false,
        message: 'IMPL-001 reported its result',
        agents: { 'IMPL-001': { turn: 1, result: { status: 'completed', findings: 'cart works' } } },
      });
      await until(() => followed.includes('IMPL-001 running → completed'));

      const progress = await maestro(['msg', 'list', '-s', 'TC-pg', '--type', 'progress', '--json'], { env });
      expect(progress.code, progress.stderr).toBe(0);
      const listed = JSON.parse(progress.stdout) as {
        messages: { from: string; summary: string; sender_agent_id: string }[];
      };
      expect(listed.messages.map((m) => [m.from, m.summary, m.sender_agent_id])).toEqual([
        ['IMPL-001', 'context loaded', spawned.agent_id],
        ['IMPL-001', 'core done', spawned.agent_id],
      ]);
      const search = await maestro(['msg', 'search', '-s', 'TC-pg', 'cor*', '--json'], { env });
      expect(search.code, search.stderr).toBe(0);
      expect((JSON.parse(search.stdout) as { messages: { summary: string }[] }).messages.map((m) => m.summary)).toEqual(
        ['core done'],
      );

      const agents = await maestro(['agents', '-s', 'TC-pg'], { env });
      expect(agents.code, agents.stderr).toBe(0);
      expect(agents.stdout).toMatch(/IMPL-001\s.*completed/);

      const events = await maestro(['events', '-s', 'TC-pg', '--json'], { env });
      expect(events.code, events.stderr).toBe(0);
      const seqs = events.stdout.split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      const lines = followed.trim().split('\n');
      expect(lines.filter((l) => l.includes('plan ready'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('(progress) core done'))).toHaveLength(1);
    } finally {
      follower.kill('SIGTERM');
      await follower;
    }
  });

  it('a database URL is never shown with its password, and an unreachable server is a clear error, soon', async () => {
    const url = `postgres://maestro:hunter2secret@127.0.0.1:${server.port + 1}/nowhere`;
    const failed = await maestro(['msg', 'list', '-s', 'S1'], { env: { MAESTRO_DB: url } });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('postgres://maestro:***@127.0.0.1');
    expect(failed.stderr).toContain('cannot be reached');
    expect(failed.stderr).not.toContain('hunter2secret');
  });
});
