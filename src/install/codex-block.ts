/**
 * maestro's entry in Codex's config.toml: a delimited block appended to the file and replaced in
 * place later, so the rest of the file is never rewritten. Codex's configuration is per user, so
 * one block serves every project installed from: it lists them ("installed for:" lines), and an
 * uninstall removes only its own line until the last one goes, taking the block with it. Whether
 * maestro created the file, or added a line break before the block, is written in the block too,
 * so whoever removes it last restores the file byte for byte.
 */
import { CODEX_TOOL_TIMEOUT_SEC } from '../agents/client-limits.js';
import { findUnder, scanToml, tomlString } from './toml.js';

export const SERVER_NAME = 'maestro-tools';
export const BLOCK_BEGIN = `# >>> ${SERVER_NAME} (managed by maestro install) >>>`;
export const BLOCK_END = `# <<< ${SERVER_NAME} <<<`;
const OWNER_PREFIX = '# installed for: ';
const CREATED_FILE = '# maestro created this file';
const ADDED_NEWLINE = '# maestro added a line break before this block';
const NOTE = '# `maestro uninstall` removes this block; `maestro install` rewrites it.';

export interface CodexServer {
  command: string;
  args: string[];
}

export interface Block {
  start: number;
  end: number;
  owners: string[];
  createdFile: boolean;
  addedNewline: boolean;
  text: string;
  /**
   * Lines inside the markers that maestro did not write. `extra`: additions to maestro's own
   * entry (say an `env = …` line, or a `[mcp_servers.maestro-tools.env]` table), kept in the block
   * when it is rewritten and dropped with it. `before` / `after`: lines of other tables that
   * ended up inside the markers (another tool inserted them there); they are moved out of the
   * block, keeping their order and the table they belong to, and kept when it is removed.
   */
  extra: string[];
  before: string[];
  after: string[];
}

const OWN_KEYS = /^(command|args|default_tools_approval_mode|required|tool_timeout_sec)[ \t]*=/;
const OWN_HEADER = `[mcp_servers.${SERVER_NAME}]`;

function classify(lines: readonly string[]): Pick<Block, 'extra' | 'before' | 'after'> {
  const out = { extra: [] as string[], before: [] as string[], after: [] as string[] };
  let group: 'before' | 'extra' | 'after' = 'before';
  let ownTable = false;
  for (const line of lines) {
    const bare = line.replace(/\r$/, '');
    const trimmed = bare.trim();
    if ([BLOCK_BEGIN, BLOCK_END, CREATED_FILE, ADDED_NEWLINE, NOTE].includes(bare) || bare.startsWith(OWNER_PREFIX)) {
      continue;
    }
    if (trimmed.startsWith('[')) {
      ownTable = trimmed === OWN_HEADER;
      if (ownTable) {
        group = 'extra';
        continue;
      }
      const header = scanToml(trimmed)[0];
      const below = header?.kind === 'table' && header.path[0] === 'mcp_servers' && header.path[1] === SERVER_NAME;
      group = below ? 'extra' : 'after';
    } else if (ownTable && OWN_KEYS.test(bare)) continue;
    out[group].push(line);
  }
  return out;
}

export class BlockError extends Error {}

const lineRe = (line: string) => new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*\\r?$`, 'm');

export function findBlock(text: string): Block | undefined {
  const begin = lineRe(BLOCK_BEGIN).exec(text);
  if (!begin) return undefined;
  const rest = text.slice(begin.index);
  const endMatch = lineRe(BLOCK_END).exec(rest);
  if (!endMatch) throw new BlockError(`maestro's block in it has no end line '${BLOCK_END}'`);
  let end = begin.index + endMatch.index + endMatch[0].length;
  if (text[end] === '\n') end++;
  const blockText = text.slice(begin.index, end);
  const raw = blockText.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  const lines = raw.map((l) => l.replace(/\r$/, ''));
  return {
    start: begin.index,
    end,
    owners: lines.filter((l) => l.startsWith(OWNER_PREFIX)).map((l) => l.slice(OWNER_PREFIX.length)),
    createdFile: lines.includes(CREATED_FILE),
    addedNewline: lines.includes(ADDED_NEWLINE),
    text: blockText,
    ...classify(raw),
  };
}

export function renderBlock(
  server: CodexServer,
  owners: readonly string[],
  flags: { createdFile: boolean; addedNewline: boolean },
  extra: readonly string[] = [],
): string {
  return (
    [
      BLOCK_BEGIN,
      ...owners.map((o) => `${OWNER_PREFIX}${o}`),
      ...(flags.createdFile ? [CREATED_FILE] : []),
      ...(flags.addedNewline ? [ADDED_NEWLINE] : []),
      NOTE,
      `[mcp_servers.${SERVER_NAME}]`,
      `command = ${tomlString(server.command)}`,
      `args = [${server.args.map(tomlString).join(', ')}]`,
      // Codex runs `exec` with approval policy "never": without this every tool call is refused.
      'default_tools_approval_mode = "approve"',
      // Wait for the server at start-up instead of silently leaving its tools out when it is slow.
      'required = true',
      // Codex ends a tool call after 300 s by default, and a coordinator's wait_agent may wait an hour.
      `tool_timeout_sec = ${CODEX_TOOL_TIMEOUT_SEC}`,
      ...extra,
      BLOCK_END,
    ].join('\n') + '\n'
  );
}

/** Where `[mcp_servers.maestro-tools]` is defined outside maestro's block (1-based lines), if anywhere. */
export function foreignDefinition(text: string): number | undefined {
  const block = findBlock(text);
  const outside = block
    ? text.slice(0, block.start) + '\n'.repeat(countLines(block.text)) + text.slice(block.end)
    : text;
  return findUnder(outside, ['mcp_servers', SERVER_NAME])[0]?.line;
}

function countLines(s: string): number {
  return s.split('\n').length - 1;
}

export type UpsertAction = 'append' | 'update' | 'unchanged';

/** The config with maestro's block added for `owner` (or brought up to date). `text` undefined: no file. */
export function upsertBlock(
  text: string | undefined,
  server: CodexServer,
  owner: string,
): { text: string; action: UpsertAction } {
  if (text === undefined)
    return { text: renderBlock(server, [owner], { createdFile: true, addedNewline: false }), action: 'append' };
  const block = findBlock(text);
  if (!block) {
    const addedNewline = text.length > 0 && !text.endsWith('\n');
    const rendered = renderBlock(server, [owner], { createdFile: false, addedNewline });
    return { text: `${text}${addedNewline ? '\n' : ''}${rendered}`, action: 'append' };
  }
  const owners = block.owners.includes(owner) ? block.owners : [...block.owners, owner];
  const lines = (group: readonly string[]) => group.map((l) => `${l}\n`).join('');
  const rendered = lines(block.before) + renderBlock(server, owners, block, block.extra) + lines(block.after);
  if (rendered === block.text) return { text, action: 'unchanged' };
  return { text: text.slice(0, block.start) + rendered + text.slice(block.end), action: 'update' };
}

export interface RemoveResult {
  text: string;
  /** The block is gone (no project or user uses it any more). */
  removedBlock: boolean;
  /** maestro created the file and nothing else is in it: delete it. */
  deleteFile: boolean;
  /** Lines of other tables found inside the block, kept in its place. */
  keptForeign: number;
  /** Lines added to maestro's own entry, removed with it. */
  droppedExtra: string[];
}

/** The config without `owner` in maestro's block, and without the block once nobody is left. */
export function removeOwner(text: string, owner: string): RemoveResult | undefined {
  const block = findBlock(text);
  if (!block || !block.owners.includes(owner)) return undefined;
  const owners = block.owners.filter((o) => o !== owner);
  if (owners.length > 0) {
    const kept = block.text
      .split('\n')
      .filter((l) => l.replace(/\r$/, '') !== `${OWNER_PREFIX}${owner}`)
      .join('\n');
    return {
      text: text.slice(0, block.start) + kept + text.slice(block.end),
      removedBlock: false,
      deleteFile: false,
      keptForeign: 0,
      droppedExtra: [],
    };
  }
  let start = block.start;
  const kept = [...block.before, ...block.after];
  if (block.addedNewline && text[start - 1] === '\n' && kept.length === 0) start--;
  const rest = text.slice(0, start) + kept.map((l) => `${l}\n`).join('') + text.slice(block.end);
  return {
    text: rest,
    removedBlock: true,
    deleteFile: block.createdFile && rest === '',
    keptForeign: kept.length,
    droppedExtra: block.extra,
  };
}
