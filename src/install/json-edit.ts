/**
 * Formatting-preserving edits of one member of a JSON object (`mcpServers.maestro-tools` in
 * `.mcp.json` or `~/.claude.json`). The document is only scanned for spans, never re-serialised,
 * so every other byte stays as it was, and removing what was inserted restores the file exactly:
 * a member is appended after the last one (copying the separator and indentation in use) and an
 * uninstall deletes that same text again. Input must be valid JSON (callers check with JSON.parse).
 */

interface Member {
  key: string;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

interface ObjectSpan {
  open: number;
  close: number;
  members: Member[];
}

const isWs = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF';

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text[i])) i++;
  return i;
}

function fail(what: string, at: number): never {
  throw new Error(`malformed JSON: ${what} at offset ${at}`);
}

function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  fail('unterminated string', i);
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        i = skipString(text, i);
        continue;
      }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    fail('unterminated value', i);
  }
  const start = i;
  while (i < text.length && !isWs(text[i]) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
  if (i === start) fail('expected a value', i);
  return i;
}

function readObject(text: string, open: number): ObjectSpan {
  if (text[open] !== '{') fail('expected an object', open);
  const members: Member[] = [];
  let i = skipWs(text, open + 1);
  if (text[i] === '}') return { open, close: i, members };
  for (;;) {
    i = skipWs(text, i);
    if (text[i] !== '"') fail('expected a key', i);
    const keyStart = i;
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') fail("expected ':'", i);
    const valueStart = skipWs(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    members.push({ key, keyStart, keyEnd, valueStart, valueEnd });
    i = skipWs(text, valueEnd);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { open, close: i, members };
    fail("expected ',' or '}'", i);
  }
}

/** The member named `key` (the last one, as JSON.parse would take). */
function memberIndex(span: ObjectSpan, key: string): number {
  for (let i = span.members.length - 1; i >= 0; i--) if (span.members[i]!.key === key) return i;
  return -1;
}

/** The object at `path` (keys from the top level), or where the path stops existing. */
function locate(text: string, path: readonly string[]): { span: ObjectSpan; depth: number } {
  let span = readObject(text, skipWs(text, 0));
  for (let depth = 0; depth < path.length; depth++) {
    const index = memberIndex(span, path[depth]!);
    if (index < 0) return { span, depth };
    const member = span.members[index]!;
    if (text[member.valueStart] !== '{') throw new Error(`${path.slice(0, depth + 1).join('.')} is not an object`);
    span = readObject(text, member.valueStart);
  }
  return { span, depth: path.length };
}

function lineIndent(text: string, pos: number): string {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** The document's line break. */
const eol = (text: string) => (text.includes('\r\n') ? '\r\n' : '\n');

const colonStyle = (colon: string) => (/^ ?: ?$/.test(colon) ? colon : ': ');

/** Pretty (2 spaces, continued at `indent`) or on one line with the document's `colon` style. */
function formatValue(value: unknown, indent: string, pretty: boolean, colon = ':', nl = '\n'): string {
  if (pretty) return JSON.stringify(value, null, 2).split('\n').join(`${nl}${indent}`);
  const comma = colon.endsWith(' ') ? ', ' : ',';
  const compact = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(compact).join(comma)}]`;
    if (typeof v === 'object' && v !== null) {
      return `{${Object.entries(v)
        .map(([k, x]) => `${JSON.stringify(k)}${colon}${compact(x)}`)
        .join(comma)}}`;
    }
    return JSON.stringify(v);
  };
  return compact(value);
}

function insertMember(
  text: string,
  span: ObjectSpan,
  key: string,
  value: unknown,
): { text: string; emptyInner?: string } {
  const { members } = span;
  const nl = eol(text);
  if (members.length === 0) {
    const parentIndent = lineIndent(text, span.open);
    const indent = `${parentIndent}  `;
    const inner = `${nl}${indent}${JSON.stringify(key)}: ${formatValue(value, indent, true, ':', nl)}${nl}${parentIndent}`;
    return {
      text: text.slice(0, span.open + 1) + inner + text.slice(span.close),
      emptyInner: text.slice(span.open + 1, span.close),
    };
  }
  const last = members[members.length - 1]!;
  const pretty = text.slice(span.open + 1, members[0]!.keyStart).includes('\n');
  const indent = lineIndent(text, last.keyStart);
  const colon = text.slice(last.keyEnd, last.valueStart);
  const separator =
    members.length >= 2
      ? text.slice(members[members.length - 2]!.valueEnd, last.keyStart)
      : pretty
        ? `,${nl}${indent}`
        : colon.endsWith(' ')
          ? ', '
          : ',';
  const insertion = `${separator}${JSON.stringify(key)}${colon}${formatValue(value, indent, pretty, colonStyle(colon), nl)}`;
  return { text: text.slice(0, last.valueEnd) + insertion + text.slice(last.valueEnd) };
}

function removeMember(text: string, span: ObjectSpan, index: number, emptyInner: string): string {
  const { members } = span;
  if (members.length === 1) return text.slice(0, span.open + 1) + emptyInner + text.slice(span.close);
  if (index === members.length - 1)
    return text.slice(0, members[index - 1]!.valueEnd) + text.slice(members[index]!.valueEnd);
  return text.slice(0, members[index]!.keyStart) + text.slice(members[index + 1]!.keyStart);
}

/** The raw text and value of `path.key`, or undefined when absent. */
export function jsonGet(
  text: string,
  path: readonly string[],
  key: string,
): { raw: string; value: unknown } | undefined {
  const { span, depth } = locate(text, path);
  if (depth < path.length) return undefined;
  const index = memberIndex(span, key);
  if (index < 0) return undefined;
  const member = span.members[index]!;
  const raw = text.slice(member.valueStart, member.valueEnd);
  return { raw, value: JSON.parse(raw) };
}

export interface JsonSetResult {
  text: string;
  /** How many objects on `path` did not exist and were created (the innermost ones). */
  createdParents: number;
  /** The text inside the braces of the empty object the member went into, to restore it exactly. */
  emptyInner?: string;
  /** The raw text of the value that was replaced. */
  previousRaw?: string;
}

/** Sets `path.key` to `value`: replaces the value in place, or appends the member (creating `path`). */
export function jsonSet(text: string, path: readonly string[], key: string, value: unknown): JsonSetResult {
  const { span, depth } = locate(text, path);
  if (depth === path.length) {
    const index = memberIndex(span, key);
    if (index >= 0) {
      const member = span.members[index]!;
      const colon = colonStyle(text.slice(member.keyEnd, member.valueStart));
      const formatted = formatValue(
        value,
        lineIndent(text, member.keyStart),
        isPrettyObject(text, span),
        colon,
        eol(text),
      );
      return {
        text: text.slice(0, member.valueStart) + formatted + text.slice(member.valueEnd),
        createdParents: 0,
        previousRaw: text.slice(member.valueStart, member.valueEnd),
      };
    }
  }
  const memberKey = depth === path.length ? key : path[depth]!;
  const memberValue = depth === path.length ? value : wrap(path.slice(depth + 1), key, value);
  const inserted = insertMember(text, span, memberKey, memberValue);
  return {
    text: inserted.text,
    createdParents: path.length - depth,
    ...(inserted.emptyInner !== undefined ? { emptyInner: inserted.emptyInner } : {}),
  };
}

function wrap(rest: readonly string[], key: string, value: unknown): unknown {
  let nested: unknown = { [key]: value };
  for (let i = rest.length - 1; i >= 0; i--) nested = { [rest[i]!]: nested };
  return nested;
}

function isPrettyObject(text: string, span: ObjectSpan): boolean {
  return text.slice(span.open, span.close).includes('\n');
}

/** Replaces the value of an existing `path.key` with raw JSON text (restoring what --force replaced). */
export function jsonSetRaw(text: string, path: readonly string[], key: string, raw: string): string {
  const { span, depth } = locate(text, path);
  const index = depth === path.length ? memberIndex(span, key) : -1;
  if (index < 0) throw new Error(`${[...path, key].join('.')} is missing`);
  const member = span.members[index]!;
  return text.slice(0, member.valueStart) + raw + text.slice(member.valueEnd);
}

/**
 * Removes `path.key` and then the `createdParents` innermost objects of `path` that are left
 * empty; the object the member was first inserted into gets `emptyInner` back.
 */
export function jsonRemove(
  text: string,
  path: readonly string[],
  key: string,
  options: { createdParents: number; emptyInner?: string | undefined },
): string {
  const keys = [...path];
  let name = key;
  let created = options.createdParents;
  for (;;) {
    const { span, depth } = locate(text, keys);
    if (depth < keys.length) return text;
    const index = memberIndex(span, name);
    if (index < 0) return text;
    const insertionLevel = created === 0;
    text = removeMember(text, span, index, insertionLevel ? (options.emptyInner ?? '') : '');
    if (insertionLevel) return text;
    if (locate(text, keys).span.members.length > 0) return text;
    name = keys.pop()!;
    created--;
  }
}
