/**
 * Lines maestro appends to a text file of the project it does not own (`.gitignore`, Codex's
 * project `.codex/config.toml`): added at the end as one run, recorded with whether maestro
 * created the file or added a line break before them, and taken back only while that exact run
 * is still there, so the file returns byte for byte.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { makeDirs, pathKind, writeFileAtomic } from './fs-util.js';
import type { LinesRecord } from './manifest.js';
import type { Plan } from './plan.js';

/** The file with `lines` appended (`text` undefined: there is no file). */
export function appendLines(
  text: string | undefined,
  lines: readonly string[],
): { text: string; createdFile: boolean; addedNewline: boolean } {
  const run = lines.map((l) => `${l}\n`).join('');
  if (text === undefined) return { text: run, createdFile: true, addedNewline: false };
  const addedNewline = text.length > 0 && !text.endsWith('\n');
  return { text: `${text}${addedNewline ? '\n' : ''}${run}`, createdFile: false, addedNewline };
}

/**
 * The file without the run `rec` appended (its last occurrence), or undefined when the run is not
 * there whole (someone edited it). `deleteFile`: maestro created the file and nothing else is in
 * it now. `followedBy`: the first line after the run that is not blank or a comment.
 */
export function removeLines(
  text: string,
  rec: Pick<LinesRecord, 'lines' | 'addedNewline' | 'createdFile'>,
): { text: string; deleteFile: boolean; followedBy: string } | undefined {
  const run = rec.lines.map((l) => `${l}\n`).join('');
  const after = text.lastIndexOf(`\n${run}`);
  const start = after >= 0 ? after + 1 : text.startsWith(run) ? 0 : -1;
  if (start < 0) return undefined;
  const end = start + run.length;
  // The line break maestro added before the run goes with it while the run was last in the file.
  const from = rec.addedNewline && start > 0 && end === text.length ? start - 1 : start;
  const rest = text.slice(0, from) + text.slice(end);
  const followedBy =
    text
      .slice(end)
      .split('\n')
      .find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  return { text: rest, deleteFile: rec.createdFile && rest === '', followedBy };
}

/** Plans appending `lines` to `file` for `client`, recorded for uninstall. */
export function planAppendLines(
  plan: Plan,
  client: LinesRecord['client'],
  file: string,
  lines: readonly string[],
  subject: string,
): void {
  const text = pathKind(file) === 'file' ? readFileSync(file, 'utf8') : undefined;
  const result = appendLines(text, lines);
  plan.steps.push({
    verb: result.createdFile ? 'create' : 'append',
    subject,
    apply: () => {
      if (result.createdFile && client !== 'maestro') plan.recordDirs(client, makeDirs(path.dirname(file)));
      writeFileAtomic(file, result.text);
      plan.manifest.lines.push({
        client,
        file,
        lines: [...lines],
        createdFile: result.createdFile,
        addedNewline: result.addedNewline,
      });
    },
  });
}

/**
 * Takes back what `rec` appended. In a TOML file the run holds a table, so it stays when what
 * follows it would otherwise fall into the table before (a key the user added below maestro's).
 */
export function planRemoveLines(plan: Plan, rec: LinesRecord): void {
  const toml = rec.file.endsWith('.toml');
  const { manifest } = plan;
  const subject = `${plan.show(rec.file)}: ${rec.lines.filter((l) => !l.startsWith('#')).join(' ')}`;
  const drop = () => {
    manifest.lines = manifest.lines.filter((r) => r !== rec);
  };
  if (pathKind(rec.file) !== 'file') return void plan.steps.push({ subject, apply: drop });
  const result = removeLines(readFileSync(rec.file, 'utf8'), rec);
  if (!result || (toml && result.followedBy !== '' && !result.followedBy.trim().startsWith('['))) {
    plan.warnings.push(`kept ${subject}: changed since maestro added it; remove it yourself if you want it gone`);
    return void plan.steps.push({ subject, apply: drop });
  }
  plan.steps.push({
    verb: 'remove',
    subject,
    apply: () => {
      if (result.deleteFile) unlinkSync(rec.file);
      else writeFileAtomic(rec.file, result.text);
      drop();
    },
  });
}
