/**
 * Just enough TOML for Codex's config.toml, without a TOML library: a line scanner that finds
 * table headers and keys (with their full dotted paths, skipping multi-line strings and arrays),
 * and a reader for the string, array and boolean values of a server entry. It is used to find a
 * `[mcp_servers.maestro-tools]` written by someone else and to read a registration back;
 * maestro's own entry is a delimited block (see codex-block.ts), never an edit of foreign text.
 */

export interface TomlKey {
  /** 1-based line of the key or header. */
  line: number;
  kind: 'table' | 'key';
  /** Full dotted path: the table's path, plus the key's for a key. */
  path: string[];
  /** The value's source text (keys only), possibly spanning lines. */
  value?: string;
}

/** Reads a dotted key (`a."b c".d`) starting at `i`, up to `stop`. */
function keyPath(s: string, i: number, stop: string): { path: string[]; end: number } | undefined {
  const path: string[] = [];
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) return undefined;
      path.push(unescapeBasic(s.slice(i + 1, j)));
      i = j + 1;
    } else if (s[i] === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) return undefined;
      path.push(s.slice(i + 1, j));
      i = j + 1;
    } else {
      const bare = /^[A-Za-z0-9_-]+/.exec(s.slice(i));
      if (!bare) return undefined;
      path.push(bare[0]);
      i += bare[0].length;
    }
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '.') {
      i++;
      continue;
    }
    return s[i] === stop ? { path, end: i } : undefined;
  }
}

/** Whether a value's text is complete: no open string, no open bracket. */
function complete(value: string): boolean {
  let depth = 0;
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (value.startsWith('"""', i) || value.startsWith("'''", i)) {
      const quote = value.slice(i, i + 3);
      let j = i + 3;
      for (;;) {
        const k = value.indexOf(quote, j);
        if (k < 0) return false;
        if (quote === '"""' && isEscaped(value, k)) {
          j = k + 1;
          continue;
        }
        i = k + 3;
        while (value[i] === quote[0]) i++; // up to two quotes may end the content
        break;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < value.length && value[j] !== c && value[j] !== '\n') j += c === '"' && value[j] === '\\' ? 2 : 1;
      if (value[j] !== c) return false;
      i = j + 1;
      continue;
    }
    if (c === '#') {
      const eol = value.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
      continue;
    }
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    i++;
  }
  return depth <= 0;
}

function isEscaped(s: string, at: number): boolean {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && s[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** Every table header and key of a document, in order. Lines it cannot read are skipped. */
export function scanToml(text: string): TomlKey[] {
  const lines = text.split('\n');
  const out: TomlKey[] = [];
  let table: string[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('[')) {
      const arrayTable = trimmed.startsWith('[[');
      const parsed = keyPath(trimmed, arrayTable ? 2 : 1, ']');
      if (parsed) {
        table = parsed.path;
        out.push({ line: n + 1, kind: 'table', path: table });
      }
      continue;
    }
    const parsed = keyPath(trimmed, 0, '=');
    if (!parsed) continue;
    let value = trimmed.slice(parsed.end + 1);
    const first = n;
    while (!complete(value) && n + 1 < lines.length) value += `\n${lines[++n]!.replace(/\r$/, '')}`;
    out.push({ line: first + 1, kind: 'key', path: [...table, ...parsed.path], value: value.trim() });
  }
  return out;
}

function unescapeBasic(s: string): string {
  return s.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|.)/g, (_, e: string) => {
    if (/^[uUx]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    return (
      ({ b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\u001b', '"': '"', '\\': '\\' } as Record<string, string>)[
        e
      ] ?? e
    );
  });
}

/** A string, boolean, number, array or inline-table value (dates and other rarities: undefined). */
export type TomlValue = string | boolean | number | TomlValue[] | { [key: string]: TomlValue };

function setPath(table: { [key: string]: TomlValue }, path: readonly string[], value: TomlValue): void {
  let node = table;
  for (const name of path.slice(0, -1)) {
    const next = node[name];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[name] = {};
    node = node[name] as { [key: string]: TomlValue };
  }
  node[path[path.length - 1]!] = value;
}

export function parseTomlValue(text: string): TomlValue | undefined {
  const result = valueAt(text, 0);
  return result?.value;
}

function skipSpace(s: string, i: number): number {
  for (;;) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (s[i] !== '#') return i;
    const eol = s.indexOf('\n', i);
    i = eol < 0 ? s.length : eol;
  }
}

function valueAt(s: string, i: number): { value: TomlValue; end: number } | undefined {
  i = skipSpace(s, i);
  if (s.startsWith('"""', i) || s.startsWith("'''", i)) {
    const quote = s.slice(i, i + 3);
    let j = i + 3;
    let k = s.indexOf(quote, j);
    while (k >= 0 && quote === '"""' && isEscaped(s, k)) k = s.indexOf(quote, k + 1);
    if (k < 0) return undefined;
    while (s[k + 3] === quote[0]) k++;
    let body = s.slice(j, k);
    if (body.startsWith('\n')) body = body.slice(1);
    else if (body.startsWith('\r\n')) body = body.slice(2);
    if (quote === '"""') body = unescapeBasic(body.replace(/\\\r?\n\s*/g, ''));
    j = k + 3;
    return { value: body, end: j };
  }
  if (s[i] === '"') {
    let j = i + 1;
    while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
    if (j >= s.length) return undefined;
    return { value: unescapeBasic(s.slice(i + 1, j)), end: j + 1 };
  }
  if (s[i] === "'") {
    const j = s.indexOf("'", i + 1);
    if (j < 0) return undefined;
    return { value: s.slice(i + 1, j), end: j + 1 };
  }
  if (s[i] === '[') {
    const items: TomlValue[] = [];
    let j = skipSpace(s, i + 1);
    while (s[j] !== ']') {
      const item = valueAt(s, j);
      if (!item) return undefined;
      items.push(item.value);
      j = skipSpace(s, item.end);
      if (s[j] === ',') j = skipSpace(s, j + 1);
      else if (s[j] !== ']') return undefined;
    }
    return { value: items, end: j + 1 };
  }
  if (s[i] === '{') {
    const table: { [key: string]: TomlValue } = {};
    let j = skipSpace(s, i + 1);
    while (s[j] !== '}') {
      const key = keyPath(s, j, '=');
      if (!key) return undefined;
      const item = valueAt(s, key.end + 1);
      if (!item) return undefined;
      setPath(table, key.path, item.value);
      j = skipSpace(s, item.end);
      if (s[j] === ',') j = skipSpace(s, j + 1);
      else if (s[j] !== '}') return undefined;
    }
    return { value: table, end: j + 1 };
  }
  const bare = /^[^\s,\]#}]+/.exec(s.slice(i));
  if (!bare) return undefined;
  const word = bare[0];
  if (word === 'true' || word === 'false') return { value: word === 'true', end: i + word.length };
  const num = Number(word.replace(/_/g, ''));
  return Number.isNaN(num) ? undefined : { value: num, end: i + word.length };
}

/** A TOML basic string (JSON's escapes are a subset of TOML's). */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

const startsWith = (path: readonly string[], prefix: readonly string[]) => prefix.every((p, i) => path[i] === p);

/** Every header or key at or below `prefix` (e.g. ['mcp_servers', 'maestro-tools']). */
export function findUnder(text: string, prefix: readonly string[]): TomlKey[] {
  return scanToml(text).filter(
    (k) =>
      startsWith(k.path, prefix) ||
      // `mcp_servers = { maestro-tools = … }` or `[mcp_servers]` + `maestro-tools = { … }`: an inline table
      (k.kind === 'key' &&
        startsWith(prefix, k.path) &&
        k.path.length < prefix.length &&
        inlineHas(k.value ?? '', prefix.slice(k.path.length))),
  );
}

function inlineHas(value: string, rest: readonly string[]): boolean {
  const name = rest[0];
  return (
    name !== undefined &&
    value.trimStart().startsWith('{') &&
    new RegExp(`(^|[{,\\s"'])${name.replace(/[-]/g, '\\-')}["']?\\s*[=.]`).test(value)
  );
}

export interface ServerEntry {
  /** Where it starts (1-based). */
  line: number;
  command?: string;
  args?: string[];
  /** How long Codex lets one of its tool calls run (`tool_timeout_sec`), when set. */
  toolTimeoutSec?: number;
  /** Its tools are approved (for the whole server, or some per tool): codex exec can call them. */
  approves: boolean;
}

/** The `command` and `args` of `[mcp_servers.<name>]` (however it is spelled), when present. */
export function readServer(text: string, name: string): ServerEntry | undefined {
  const prefix = ['mcp_servers', name];
  const keys = findUnder(text, prefix);
  if (keys.length === 0) return undefined;
  const root: { [key: string]: TomlValue } = {};
  for (const key of keys) {
    if (key.kind !== 'key') continue;
    const value = parseTomlValue(key.value ?? '');
    if (value !== undefined) setPath(root, key.path, value);
  }
  const servers = root.mcp_servers;
  const entry = typeof servers === 'object' && !Array.isArray(servers) ? servers[name] : undefined;
  const out: ServerEntry = { line: keys[0]!.line, approves: false };
  if (typeof entry === 'object' && !Array.isArray(entry)) {
    if (typeof entry.command === 'string') out.command = entry.command;
    if (Array.isArray(entry.args)) out.args = entry.args.map(String);
    if (typeof entry.tool_timeout_sec === 'number') out.toolTimeoutSec = entry.tool_timeout_sec;
    const tools = entry.tools;
    out.approves =
      entry.default_tools_approval_mode === 'approve' ||
      (typeof tools === 'object' &&
        !Array.isArray(tools) &&
        Object.values(tools).some((t) => typeof t === 'object' && !Array.isArray(t) && t.approval_mode === 'approve'));
  }
  return out;
}
