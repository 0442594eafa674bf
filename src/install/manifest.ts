/**
 * The record of what `maestro install` added (`<project>/.maestro/install.json`, or
 * `~/.maestro/install.json` for the user): each file it created with the hash of what it wrote,
 * the directories it created, the JSON member it added, the Codex block it is listed in and the
 * lines it appended to files of the project (.gitignore, .codex/config.toml).
 * `maestro uninstall` reverses exactly this. Paths inside the root are stored relative to it.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { MaestroError, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import { makeDirs, writeFileAtomic } from './fs-util.js';
import type { Scope } from './locations.js';
import type { Client } from './sources.js';

export interface FileRecord {
  client: Client;
  path: string;
  sha256: string;
  /** Where the file that --force replaced was kept; uninstall puts it back. */
  backup?: string;
}

export interface DirRecord {
  /** 'maestro': the manifest's own directory. */
  client: Client | 'maestro';
  path: string;
}

export interface JsonRecord {
  client: 'claude';
  file: string;
  /** The object holding the member (e.g. ["mcpServers"]). */
  parent: string[];
  key: string;
  /** What maestro wrote; uninstall removes the member only while it still has this value. */
  value: unknown;
  createdFile: boolean;
  createdParents: number;
  emptyInner?: string;
  /** The raw value that --force replaced, put back by uninstall. */
  previousRaw?: string;
}

export interface TomlRecord {
  client: 'codex';
  file: string;
  owner: string;
}

/** Lines appended to a file maestro does not own (see lines.ts). 'maestro': for the whole install (.gitignore). */
export interface LinesRecord {
  client: Client | 'maestro';
  file: string;
  lines: string[];
  createdFile: boolean;
  addedNewline: boolean;
}

export interface Manifest {
  version: 1;
  maestro: string;
  scope: Scope;
  files: FileRecord[];
  dirs: DirRecord[];
  json: JsonRecord[];
  toml: TomlRecord[];
  lines: LinesRecord[];
}

export function emptyManifest(scope: Scope): Manifest {
  return { version: 1, maestro: VERSION, scope, files: [], dirs: [], json: [], toml: [], lines: [] };
}

const toStored = (p: string, root: string) => {
  const rel = path.relative(root, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
};
const fromStored = (p: string, root: string) => (path.isAbsolute(p) ? p : path.join(root, p));

function mapPaths(m: Manifest, f: (p: string) => string): Manifest {
  return {
    ...m,
    files: m.files.map((r) => ({ ...r, path: f(r.path), ...(r.backup ? { backup: f(r.backup) } : {}) })),
    dirs: m.dirs.map((r) => ({ ...r, path: f(r.path) })),
    json: m.json.map((r) => ({ ...r, file: f(r.file) })),
    toml: m.toml.map((r) => ({ ...r, file: f(r.file) })),
    lines: m.lines.map((r) => ({ ...r, file: f(r.file) })),
  };
}

export function readManifest(file: string, root: string, scope: Scope): Manifest {
  if (!existsSync(file)) return emptyManifest(scope);
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
    if (raw.version !== 1) throw new Error(`unknown version ${String(raw.version)}`);
    const m: Manifest = {
      ...emptyManifest(scope),
      files: raw.files ?? [],
      dirs: raw.dirs ?? [],
      json: raw.json ?? [],
      toml: raw.toml ?? [],
      lines: raw.lines ?? [],
    };
    return mapPaths(m, (p) => fromStored(p, root));
  } catch (error) {
    throw new MaestroError('conflict', `cannot read the install manifest ${file}: ${errorMessage(error)}`);
  }
}

export function hasClientRecords(m: Manifest, client: Client): boolean {
  return [...m.files, ...m.json, ...m.toml, ...m.lines].some((r) => r.client === client);
}

export function serialize(m: Manifest, root: string): string {
  return `${JSON.stringify(
    mapPaths({ ...m, maestro: VERSION }, (p) => toStored(p, root)),
    null,
    2,
  )}\n`;
}

/**
 * Saves the manifest; one that records nothing any more is deleted (the caller then removes the
 * directories made for it, the 'maestro' entries of `dirs`).
 */
export function saveManifest(
  file: string,
  m: Manifest,
  root: string,
  before: string | undefined,
): 'written' | 'deleted' | 'unchanged' {
  const empty =
    m.files.length === 0 &&
    m.json.length === 0 &&
    m.toml.length === 0 &&
    m.lines.length === 0 &&
    m.dirs.every((d) => d.client === 'maestro');
  if (empty) {
    if (before === undefined) return 'unchanged';
    unlinkSync(file);
    return 'deleted';
  }
  for (const dir of makeDirs(path.dirname(file))) {
    if (!m.dirs.some((d) => d.path === dir)) m.dirs.push({ client: 'maestro', path: dir });
  }
  const text = serialize(m, root);
  if (text === before) return 'unchanged';
  writeFileAtomic(file, text);
  return 'written';
}

/** The manifest file's text, or undefined when there is none. */
export function manifestText(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
