/**
 * The soak run's short form (a few seconds of the same randomised workload `npm run soak` runs
 * for a minute) and the checks it relies on: a checker that could not see a lost or doubled
 * message would make every passing soak meaningless.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { findPgBin } from './helpers/postgres.js';
import { Tally, checkDeliveries, checkMessages, overranWaits } from './soak/ledger.js';

const pgFound = await findPgBin();
if ('missing' in pgFound) process.stderr.write(`skipping the soak on PostgreSQL: ${pgFound.missing}\n`);

interface SoakReport {
  pass: boolean;
  host_starts: number;
  operations: number;
  operations_by_kind: Record<string, number>;
  faults_by_kind: Record<string, number>;
  server_starts: number;
  agents_spawned: { by_coordinator: number; by_workers: number };
  messages_committed: number;
  feed_events: number;
  lost: number;
  duplicates: number;
  orphans: number;
  waits: number;
  waits_overran: number;
  integrity: string;
  violations: string[];
}

function soak(args: string[]): Promise<{ code: number; report: SoakReport; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist/test/soak/run.js'), ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, report: JSON.parse(stdout) as SoakReport, stderr });
      },
    );
  });
}

describe('the soak run, short form', () => {
  it('survives worker and server SIGKILLs with nothing lost, doubled, orphaned or overrun', async () => {
    const { code, report, stderr } = await soak(['--duration', '8', '--seed', '20261121', '--json']);
    expect(report.violations, stderr).toEqual([]);
    expect(report).toMatchObject({
      pass: true,
      lost: 0,
      duplicates: 0,
      orphans: 0,
      waits_overran: 0,
      integrity: 'ok',
    });
    expect(code).toBe(0);
    // It did the work it claims to check, however slow the machine: the run goes on past its
    // duration until it has (the coordinator's server died twice, a worker was killed …).
    expect(report.faults_by_kind['server SIGKILL']).toBe(2);
    expect(report.server_starts).toBe(3);
    expect(report.faults_by_kind['worker SIGKILL']).toBeGreaterThanOrEqual(1);
    expect(report.operations_by_kind['spawn_agent']).toBeGreaterThanOrEqual(6);
    expect(report.operations_by_kind['wait_agent']).toBeGreaterThanOrEqual(6);
    expect(report.operations_by_kind['cli log']).toBeGreaterThanOrEqual(6);
    expect(report.messages_committed).toBeGreaterThan(0);
    expect(report.feed_events).toBeGreaterThan(report.messages_committed);
  }, 400_000);

  it.skipIf('missing' in pgFound)(
    'on PostgreSQL across two machines, survives SIGKILLs of servers, workers and the host, and a database crash, with nothing lost, doubled or orphaned',
    async () => {
      const { code, report, stderr } = await soak(['--duration', '12', '--seed', '20261203', '--postgres', '--json']);
      expect(report.violations, stderr).toEqual([]);
      expect(report).toMatchObject({ pass: true, lost: 0, duplicates: 0, orphans: 0, waits_overran: 0 });
      expect(code).toBe(0);
      expect(report.faults_by_kind['server SIGKILL']).toBe(2);
      expect(report.faults_by_kind['host SIGKILL']).toBe(1);
      expect(report.faults_by_kind['database restart']).toBe(1);
      expect(report.host_starts).toBe(2);
      expect(report.operations_by_kind['spawn_agent']).toBeGreaterThanOrEqual(9);
      expect(report.operations_by_kind['spawn_agent on a host']).toBeGreaterThanOrEqual(1);
      expect(report.messages_committed).toBeGreaterThan(0);
      expect(report.feed_events).toBeGreaterThan(report.messages_committed);
    },
    600_000,
  );

  it('rejects options it does not know, naming the allowed ones', async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [path.join(ROOT, 'dist/test/soak/run.js'), '--durration', '5'],
        (error, _out, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
      ),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --durration; allowed: --duration, --seed, --postgres, --json, --keep');
  });
});

describe('the soak’s checks', () => {
  it('see a lost write, a write stored under another id, a doubled write and a skipped id', () => {
    const committed = new Map([
      ['t:a', 'MSG-001'],
      ['t:b', 'MSG-002'],
      ['t:c', 'MSG-009'],
      ['t:lost', 'MSG-004'],
    ]);
    const check = checkMessages(committed, [
      { seq: 1, summary: 't:a' },
      { seq: 2, summary: 't:b' },
      { seq: 3, summary: 't:c' },
      { seq: 5, summary: 't:b' },
    ]);
    expect(check.lost).toEqual(['t:c (MSG-009)', 't:lost (MSG-004)']);
    expect(check.duplicates).toEqual(['t:b']);
    expect(check.gaps).toEqual([4]);
    expect(checkMessages(new Map([['t:a', 'MSG-001']]), [{ seq: 1, summary: 't:a' }])).toMatchObject({
      lost: [],
      duplicates: [],
      gaps: [],
    });
  });

  it('see a delivery missed, one made twice and one never owed; overtaken news may go undelivered', () => {
    const delivered = new Tally();
    for (const key of ['a', 'b', 'b', 'x']) delivered.add(key);
    const check = checkDeliveries(['a', 'b', 'c', 'd'], delivered, new Set(['d']));
    expect(check).toMatchObject({ expected: 4, lost: ['c'], duplicates: ['b'], strangers: ['x'] });
  });

  it('count a wait as overrunning only past its timeout plus the slack', () => {
    const waits = [
      { timeoutMs: 100, elapsedMs: 50 },
      { timeoutMs: 100, elapsedMs: 1099 },
      { timeoutMs: 100, elapsedMs: 1101 },
    ];
    expect(overranWaits(waits, 1000)).toEqual({ count: 3, overran: 1, worstMs: 1001 });
  });
});
