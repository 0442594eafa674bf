/** Where this installation of maestro lives, and the command that starts its MCP server. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'maestro-tools') return dir;
      } catch {
        // keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the maestro-tools package root');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();

/** The built `maestro` command (npm install builds it). */
export const MAESTRO_BIN = path.join(PACKAGE_ROOT, 'dist', 'bin', 'main.js');

/** How a worker starts its own maestro-tools server. */
export function serverCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [MAESTRO_BIN, 'mcp'] };
}
