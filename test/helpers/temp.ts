/** Temporary directories and database files for tests, removed afterwards. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

afterEach(() => {
  // MAESTRO_KEEP_TEMP=1 keeps them, to look at what a failing test left.
  if (process.env.MAESTRO_KEEP_TEMP) return void created.splice(0);
  while (created.length) rmSync(created.pop()!, { recursive: true, force: true });
});

export function tempDir(prefix = 'maestro-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function tempDbFile(): string {
  return path.join(tempDir(), 'bus', 'maestro.db');
}
