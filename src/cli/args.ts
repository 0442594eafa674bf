/**
 * Flag parsing for every `maestro` command: node's parseArgs in strict mode, with failures
 * turned into a UsageError (exit 2) that says what was wrong and where to look.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { projectRoot } from '../bus/paths.js';
import { MaestroError } from '../errors.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parse(command: string, argv: string[], options: Options, allowPositionals: boolean): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    const detail = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\.$/, '');
    throw new UsageError(`${command}: ${lowerFirst(detail)} (see '${command} --help')`);
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export function str(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function strs(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name];
  if (!Array.isArray(value)) return typeof value === 'string' ? [value] : [];
  return (value as unknown[]).filter((v): v is string => typeof v === 'string');
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A whole number from a flag; a UsageError names the flag and the rule otherwise. */
export function int(command: string, parsed: Parsed, name: string): number | undefined {
  const raw = str(parsed, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${command}: --${name} expects a whole number, got '${raw}'`);
  return Number(raw);
}

/** The project a command works on: --project DIR (which must exist), else the git top-level of the working directory. */
export function projectDirOption(parsed: Parsed): string {
  const given = str(parsed, 'project');
  if (given === undefined) return projectRoot(process.cwd());
  const dir = path.resolve(given);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new MaestroError('not_found', `no such project directory: ${dir}`);
  return dir;
}
