/**
 * The skills cannot drift from the server: every tool call written in the shipped skills, slash
 * commands and agent definitions (a ```json tool=<name> block) is extracted and checked — its
 * tool exists, and its arguments satisfy the input schema the running server advertises.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './helpers/mcp.js';
import { ROOT } from './helpers/paths.js';

const PREFIX = 'mcp__maestro-tools__';
const SOURCES = ['skills', '.claude/commands', '.claude/agents'];

interface Call {
  file: string;
  line: number;
  tool: string;
  args: unknown;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return markdownFiles(full);
    return name.endsWith('.md') ? [full] : [];
  });
}

function extractCalls(file: string): Call[] {
  const text = readFileSync(file, 'utf8');
  const calls: Call[] = [];
  const block = /^```json tool=(\S+)\n([\s\S]*?)^```/gm;
  for (let match = block.exec(text); match; match = block.exec(text)) {
    const line = text.slice(0, match.index).split('\n').length;
    let args: unknown;
    try {
      args = JSON.parse(match[2]!);
    } catch (error) {
      args = new Error(`not valid JSON: ${(error as Error).message}`);
    }
    calls.push({ file: path.relative(ROOT, file), line, tool: match[1]!, args });
  }
  return calls;
}

/** A placeholder like "<session_id>" stands for any valid value of its field. */
function fillPlaceholders(value: unknown, field = ''): unknown {
  if (typeof value === 'string' && /^<[^>]+>$/.test(value))
    return field === 'id' || field === 'since' ? 'MSG-001' : 'S-001';
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, field));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, k)]));
  }
  return value;
}

const files = SOURCES.flatMap((source) => markdownFiles(path.join(ROOT, source)));
const calls = files.flatMap(extractCalls);

describe('the shipped skills and commands', () => {
  let schemas: Map<string, object>;
  beforeAll(async () => {
    const { client } = await startServer();
    const { tools } = await client.listTools();
    schemas = new Map(tools.map((t) => [t.name, t.inputSchema]));
  });

  it('contain tool calls, for every maestro tool', () => {
    expect(calls.length).toBeGreaterThan(20);
    const used = new Set(calls.map((c) => c.tool.replace(PREFIX, '')));
    expect([...schemas.keys()].filter((t) => !used.has(t))).toEqual([]);
  });

  it('write every maestro tool call as a checkable block, never in another form', () => {
    const loose = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((text, i) => ({ text, where: `${path.relative(ROOT, file)}:${i + 1}` }))
        .filter(({ text }) => new RegExp(`${PREFIX}\\w+\\s*\\(`).test(text)),
    );
    expect(loose.map((l) => l.where)).toEqual([]);
  });

  it.each(calls.map((c) => [`${c.file}:${c.line} ${c.tool.replace(PREFIX, '')}`, c] as const))(
    '%s matches the server’s schema',
    (_, call) => {
      expect(call.tool.startsWith(PREFIX), `${call.tool} is not spelled ${PREFIX}<tool>`).toBe(true);
      const schema = schemas.get(call.tool.slice(PREFIX.length));
      expect(schema, `the server has no tool ${call.tool}`).toBeDefined();
      expect(call.args).not.toBeInstanceOf(Error);
      const validate = new Ajv({ strict: false, allErrors: true }).compile(schema!);
      const valid = validate(fillPlaceholders(call.args));
      expect(valid, JSON.stringify(validate.errors)).toBe(true);
    },
  );
});
