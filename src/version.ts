/** The installed maestro version, read from the package.json that ships with this code. */
import { readFileSync } from 'node:fs';

function findVersion(): string {
  // Compiled code lives at dist/src/, sources at src/: try both distances to the package root.
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'maestro-tools' && pkg.version) return pkg.version;
    } catch {
      // not at this distance
    }
  }
  return '0.0.0';
}

export const VERSION = findVersion();
