/** A PATH directory whose `maestro` is the built CLI, as `npm i -g maestro-tools` would make it. */
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { CLI } from './paths.js';
import { tempDir } from './temp.js';

export function maestroOnPath(): string {
  const dir = tempDir('maestro-bin-');
  symlinkSync(CLI, path.join(dir, 'maestro'));
  return dir;
}
