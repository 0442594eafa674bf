/**
 * What `maestro install` copies, read from the package: every directory under `skills/` that has
 * a SKILL.md, the `/team-coordinate` slash command and the subagent definitions in `.claude/`.
 * MAESTRO_PACKAGE_ROOT points this (and only this) at another tree, for tests.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { listFiles, pathKind } from './fs-util.js';

export const PACKAGE_ROOT_ENV = 'MAESTRO_PACKAGE_ROOT';

/** The slash commands that are part of the product (the repository has others for its own use). */
export const COMMANDS = ['team-coordinate.md'];

export type Client = 'claude' | 'codex';
export const CLIENTS: readonly Client[] = ['claude', 'codex'];

export interface SourceFile {
  /** Absolute path in the package. */
  source: string;
  /** Where it goes, relative to the client's base: `skills/<name>/…`, `commands/…`, `agents/…`. */
  relative: string;
  /** The skill it belongs to, if any. */
  skill?: string;
  executable: boolean;
}

export function packageRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[PACKAGE_ROOT_ENV];
  return override ? path.resolve(override) : PACKAGE_ROOT;
}

/** The names of the package's skills (directories of `skills/` with a SKILL.md), sorted. */
export function skillNames(root: string): string[] {
  const dir = path.join(root, 'skills');
  if (pathKind(dir) !== 'dir') return [];
  return readdirSync(dir)
    .filter((name) => pathKind(path.join(dir, name, 'SKILL.md')) === 'file')
    .sort();
}

/** Every file a client gets. Codex has no slash commands or subagent files, only skills. */
export function sourceFiles(root: string, client: Client): SourceFile[] {
  const files: SourceFile[] = [];
  const add = (source: string, relative: string, skill?: string) =>
    files.push({ source, relative, executable: (statSync(source).mode & 0o111) !== 0, ...(skill ? { skill } : {}) });
  for (const skill of skillNames(root)) {
    const dir = path.join(root, 'skills', skill);
    for (const rel of listFiles(dir)) add(path.join(dir, rel), `skills/${skill}/${rel}`, skill);
  }
  if (client === 'claude') {
    for (const name of COMMANDS) {
      const source = path.join(root, '.claude', 'commands', name);
      if (pathKind(source) === 'file') add(source, `commands/${name}`);
    }
    const agents = path.join(root, '.claude', 'agents');
    if (existsSync(agents) && pathKind(agents) === 'dir') {
      for (const name of readdirSync(agents).sort()) {
        const source = path.join(agents, name);
        if (name.endsWith('.md') && pathKind(source) === 'file') add(source, `agents/${name}`);
      }
    }
  }
  return files;
}

/**
 * Codex shows the tools of server `maestro-tools` as `mcp__maestro_tools__<tool>` (a namespace
 * name cannot hold '-'), so the Codex copies of the markdown say so.
 */
export function codexRewrite(content: Buffer, relative: string): Buffer {
  if (!relative.endsWith('.md')) return content;
  const text = content.toString('utf8');
  const rewritten = text.replaceAll('mcp__maestro-tools__', 'mcp__maestro_tools__');
  return rewritten === text ? content : Buffer.from(rewritten, 'utf8');
}

/** `skills/CODEX.md`: what every Codex copy of a SKILL.md says first (Codex's own tools share our names). */
export const CODEX_NOTE = 'CODEX.md';

/**
 * A Codex copy of a skill's SKILL.md gets the package's `skills/CODEX.md` right after its
 * frontmatter: Codex offers multi-agent tools of its own under maestro's names.
 */
function withCodexNote(content: Buffer, file: SourceFile): Buffer {
  if (file.skill === undefined || file.relative !== `skills/${file.skill}/SKILL.md`) return content;
  const note = path.join(path.dirname(file.source), '..', CODEX_NOTE);
  if (pathKind(note) !== 'file') return content;
  const text = content.toString('utf8');
  const frontmatter = /^---\r?\n[\s\S]*?\r?\n---\r?\n/.exec(text);
  const at = frontmatter ? frontmatter[0].length : 0;
  const inserted = `${text.slice(0, at)}\n${readFileSync(note, 'utf8').trimEnd()}\n${text.slice(at)}`;
  return Buffer.from(inserted, 'utf8');
}

/** The bytes a client's copy of `file` must have. */
export function desiredContent(file: SourceFile, client: Client): Buffer {
  const content = readFileSync(file.source);
  return client === 'codex' ? codexRewrite(withCodexNote(content, file), file.relative) : content;
}
