/**
 * File-system helpers for `maestro install`: content hashes, atomic writes that keep a file's
 * mode, creating directories while remembering which ones did not exist, and removing them
 * again only while they are empty.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

export type PathKind = 'missing' | 'file' | 'dir' | 'other';

export function pathKind(file: string): PathKind {
  try {
    const stat = statSync(file);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Creates `dir` and its missing parents, and returns the directories that were created,
 * outermost first — what an uninstall may remove again.
 */
export function makeDirs(dir: string): string[] {
  const missing = missingDirs(dir);
  if (missing.length) mkdirSync(dir, { recursive: true });
  return missing;
}

/** The directories `makeDirs(dir)` would create, without creating them (for --dry-run). */
export function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

/**
 * Writes through a temporary file in the same directory and a rename, so a reader (or a crash)
 * never sees half a file; an existing file keeps its permission bits.
 */
export function writeFileAtomic(file: string, content: Buffer | string, mode?: number): void {
  let keepMode = mode;
  if (keepMode === undefined) {
    try {
      keepMode = statSync(file).mode & 0o7777;
    } catch {
      keepMode = undefined;
    }
  }
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.maestro-${process.pid}.tmp`);
  writeFileSync(temp, content, keepMode === undefined ? {} : { mode: keepMode });
  if (keepMode !== undefined) chmodSync(temp, keepMode);
  renameSync(temp, file);
}

/** Removes the directories that are empty, deepest first; returns those removed. */
export function removeEmptyDirs(dirs: readonly string[]): string[] {
  const removed: string[] = [];
  for (const dir of [...new Set(dirs)].sort((a, b) => b.length - a.length)) {
    try {
      if (readdirSync(dir).length === 0) {
        rmdirSync(dir);
        removed.push(dir);
      }
    } catch {
      // gone already, or not a directory any more: leave it
    }
  }
  return removed;
}

/** Every regular file below `dir`, as paths relative to it with '/' separators, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      const kind = entry.isSymbolicLink()
        ? pathKind(path.join(dir, rel))
        : entry.isDirectory()
          ? 'dir'
          : entry.isFile()
            ? 'file'
            : 'other';
      if (kind === 'dir') walk(rel);
      else if (kind === 'file') out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

/** `file` shown relative to `base` when inside it, else as `~/…` under home, else absolute. */
export function displayPath(file: string, base: string | undefined, home: string): string {
  const inside = (root: string) => {
    const rel = path.relative(root, file);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : undefined;
  };
  const inBase = base ? inside(base) : undefined;
  if (inBase !== undefined) return inBase;
  const inHome = inside(home);
  if (inHome !== undefined) return `~/${inHome}`;
  return file;
}
