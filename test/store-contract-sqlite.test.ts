/** The store contract (store-contract.ts) against the SQLite store, on a real database file. */
import { rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/bus/sqlite-store.js';
import { inOtherProcesses } from './helpers/bus-processes.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SQLite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'maestro-contract-'));
  const file = path.join(dir, 'maestro.db');
  const store = openSqliteStore(file);
  return Object.assign(store, {
    inOtherProcesses: (jobs: Parameters<typeof inOtherProcesses>[1]) => inOtherProcesses(file, jobs),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});
