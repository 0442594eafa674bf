/**
 * The store contract (store-contract.ts) against the PostgreSQL store, on a real server the test
 * starts (helpers/postgres.ts), a database of its own per case. Skipped, saying why, only where no
 * PostgreSQL binaries exist at all.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { openPgStore } from '../src/pg/pg-store.js';
import { inOtherProcesses } from './helpers/bus-processes.js';
import { findPgBin, freshDatabase, startPostgres, type PgServer } from './helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

const found = await findPgBin();
if ('missing' in found) process.stderr.write(`skipping the PostgreSQL store contract: ${found.missing}\n`);

describe.skipIf('missing' in found)('PostgreSQL', () => {
  let server: PgServer;
  let databases = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreContract('PostgreSQL', async () => {
    const url = await freshDatabase(server, `contract_${process.pid}_${++databases}`);
    const store = await openPgStore(url);
    return Object.assign(store, {
      inOtherProcesses: (jobs: Parameters<typeof inOtherProcesses>[1]) => inOtherProcesses(url, jobs),
      cleanup: () => store.close(),
    });
  });
});
