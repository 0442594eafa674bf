/**
 * The shape shared by install and uninstall: everything is first planned as a list of steps
 * (one printable line each, plus the conflicts and warnings found), then — unless it is a dry
 * run — applied in order and recorded in the manifest. The removal of one recorded item lives
 * here too, since an install removes files the package no longer has in the same way.
 */
import { existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { MaestroError } from '../errors.js';
import { BlockError, removeOwner, SERVER_NAME } from './codex-block.js';
import { displayPath, pathKind, removeEmptyDirs, sha256, writeFileAtomic } from './fs-util.js';
import { jsonGet, jsonRemove, jsonSetRaw } from './json-edit.js';
import { locations, type Locations, type Scope } from './locations.js';
import {
  manifestText,
  readManifest,
  saveManifest,
  type FileRecord,
  type JsonRecord,
  type Manifest,
  type TomlRecord,
} from './manifest.js';
import type { Client } from './sources.js';

export type Verb = 'create' | 'update' | 'replace' | 'merge' | 'append' | 'remove' | 'restore';

export const PAST: Record<Verb, string> = {
  create: 'created',
  update: 'updated',
  replace: 'replaced',
  merge: 'merged',
  append: 'appended',
  remove: 'removed',
  restore: 'restored',
};

export interface Step {
  /** Absent for bookkeeping that prints nothing (a manifest record brought up to date). */
  verb?: Verb;
  subject: string;
  apply(): void;
}

export interface Conflict {
  subject: string;
  reason: string;
  /** --force would overwrite it. */
  forceable: boolean;
}

export interface PlanOptions {
  scope: Scope;
  /** The project directory (used for the project scope, and to name it as a Codex user). */
  project: string;
  clients: Client[];
  dryRun: boolean;
  force: boolean;
  env: NodeJS.ProcessEnv;
}

export interface Plan {
  options: PlanOptions;
  loc: Locations;
  manifest: Manifest;
  /** The manifest file's text before, undefined if there was none. */
  before: string | undefined;
  steps: Step[];
  conflicts: Conflict[];
  warnings: string[];
  show(file: string): string;
  recordDirs(client: Client, dirs: readonly string[]): void;
}

export function newPlan(options: PlanOptions): Plan {
  const loc = locations(options.scope, options.project, options.env);
  const manifest = readManifest(loc.manifest, loc.root, options.scope);
  return {
    options,
    loc,
    manifest,
    before: manifestText(loc.manifest),
    steps: [],
    conflicts: [],
    warnings: [],
    show: (file) => displayPath(file, options.scope === 'project' ? loc.root : undefined, loc.home),
    recordDirs(client, dirs) {
      for (const dir of dirs) if (!manifest.dirs.some((d) => d.path === dir)) manifest.dirs.push({ client, path: dir });
    },
  };
}

/** The steps that print a line. */
export function visibleSteps(plan: Plan): Required<Pick<Step, 'verb' | 'subject'>>[] {
  return plan.steps.filter((s): s is Step & { verb: Verb } => s.verb !== undefined);
}

/**
 * Applies the plan (not for a dry run) and saves the manifest. `dropDirsOf`: clients whose
 * directory records go (uninstall); those directories are removed once empty, and so are the
 * ones an install finds empty (a skill the package no longer has).
 */
export function applyPlan(plan: Plan, dropDirsOf: readonly Client[] = []): void {
  if (plan.options.dryRun) return;
  for (const step of plan.steps) step.apply();
  const { manifest, options } = plan;
  const ofClients = (clients: readonly Client[]) =>
    manifest.dirs.filter((d) => d.client !== 'maestro' && clients.includes(d.client)).map((d) => d.path);
  const dropped = ofClients(dropDirsOf);
  const pruned = removeEmptyDirs(ofClients(options.clients.filter((c) => !dropDirsOf.includes(c))));
  manifest.dirs = manifest.dirs.filter((d) => !dropped.includes(d.path) && !pruned.includes(d.path));
  const saved = saveManifest(plan.loc.manifest, manifest, plan.loc.root, plan.before);
  // After the manifest: its own directory may hold what an uninstall just emptied.
  removeEmptyDirs(saved === 'deleted' ? [...dropped, ...manifest.dirs.map((d) => d.path)] : dropped);
}

/**
 * Checks that an edit of a JSON document changed nothing but `parent.key` (and the empty
 * objects holding it), before anything is written.
 */
export function verifyJsonEdit(
  file: string,
  before: string,
  after: string,
  parent: readonly string[],
  key: string,
): void {
  const strip = (text: string): unknown => {
    const value = JSON.parse(text) as Record<string, unknown>;
    const chain: Record<string, unknown>[] = [value];
    for (const name of parent) {
      const next = chain[chain.length - 1]![name];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) return value;
      chain.push(next as Record<string, unknown>);
    }
    delete chain[chain.length - 1]![key];
    for (let i = parent.length; i > 0; i--) {
      if (Object.keys(chain[i]!).length > 0) break;
      delete chain[i - 1]![parent[i - 1]!];
    }
    return value;
  };
  if (!isDeepStrictEqual(strip(before), strip(after))) {
    throw new MaestroError(
      'storage',
      `refusing to write ${file}: the edit would change more than ${[...parent, key].join('.')}`,
    );
  }
}

/** Removes a file maestro installed — only if it is as maestro wrote it — putting back what --force replaced. */
export function planRemoveFile(plan: Plan, rec: FileRecord): void {
  const { manifest } = plan;
  const subject = plan.show(rec.path);
  const drop = () => {
    manifest.files = manifest.files.filter((r) => r !== rec);
  };
  const kind = pathKind(rec.path);
  const hasBackup = rec.backup !== undefined && existsSync(rec.backup);
  if (kind === 'missing') {
    if (hasBackup) {
      plan.steps.push({ verb: 'restore', subject, apply: () => (renameSync(rec.backup!, rec.path), drop()) });
    } else plan.steps.push({ subject, apply: drop });
    return;
  }
  if (kind === 'file' && sha256(readFileSync(rec.path)) === rec.sha256) {
    plan.steps.push({
      verb: hasBackup ? 'restore' : 'remove',
      subject,
      apply: () => {
        if (hasBackup) renameSync(rec.backup!, rec.path);
        else unlinkSync(rec.path);
        drop();
      },
    });
    return;
  }
  plan.warnings.push(
    `kept ${subject}: changed since maestro installed it${hasBackup ? ` (the file it replaced is in ${plan.show(rec.backup!)})` : ''}`,
  );
  plan.steps.push({ subject, apply: drop });
}

/** Removes the JSON member maestro added, while it still has the value maestro wrote. */
export function planRemoveJson(plan: Plan, rec: JsonRecord): void {
  const { manifest } = plan;
  const subject = `${plan.show(rec.file)}: ${[...rec.parent, rec.key].join('.')}`;
  const drop = () => {
    manifest.json = manifest.json.filter((r) => r !== rec);
  };
  if (pathKind(rec.file) !== 'file') return void plan.steps.push({ subject, apply: drop });
  const text = readFileSync(rec.file, 'utf8');
  let existing: ReturnType<typeof jsonGet>;
  try {
    JSON.parse(text);
    existing = jsonGet(text, rec.parent, rec.key);
  } catch (error) {
    plan.warnings.push(`kept ${subject}: ${plan.show(rec.file)} cannot be read as JSON (${(error as Error).message})`);
    return void plan.steps.push({ subject, apply: drop });
  }
  if (!existing) return void plan.steps.push({ subject, apply: drop });
  if (!isDeepStrictEqual(existing.value, rec.value)) {
    plan.warnings.push(`kept ${subject}: changed since maestro installed it`);
    return void plan.steps.push({ subject, apply: drop });
  }
  const after =
    rec.previousRaw !== undefined
      ? jsonSetRaw(text, rec.parent, rec.key, rec.previousRaw)
      : jsonRemove(text, rec.parent, rec.key, { createdParents: rec.createdParents, emptyInner: rec.emptyInner });
  verifyJsonEdit(rec.file, text, after, rec.parent, rec.key);
  const parsed = JSON.parse(after) as object;
  const deleteFile = rec.createdFile && Object.keys(parsed).length === 0;
  plan.steps.push({
    verb: rec.previousRaw !== undefined ? 'restore' : 'remove',
    subject,
    apply: () => {
      if (deleteFile) unlinkSync(rec.file);
      else writeFileAtomic(rec.file, after);
      drop();
    },
  });
}

/** Takes this project (or the user) off maestro's Codex block, and the block away when nobody is left. */
export function planRemoveToml(plan: Plan, rec: TomlRecord): void {
  const { manifest } = plan;
  const subject = `${plan.show(rec.file)}: [mcp_servers.${SERVER_NAME}]`;
  const drop = () => {
    manifest.toml = manifest.toml.filter((r) => r !== rec);
  };
  if (pathKind(rec.file) !== 'file') return void plan.steps.push({ subject, apply: drop });
  let result: ReturnType<typeof removeOwner>;
  try {
    result = removeOwner(readFileSync(rec.file, 'utf8'), rec.owner);
  } catch (error) {
    if (!(error instanceof BlockError)) throw error;
    plan.warnings.push(`kept ${subject}: ${error.message}`);
    return void plan.steps.push({ subject, apply: drop });
  }
  if (!result) return void plan.steps.push({ subject, apply: drop });
  const { text, removedBlock, deleteFile, keptForeign, droppedExtra } = result;
  if (keptForeign > 0) {
    plan.warnings.push(
      `kept ${keptForeign} line(s) of other tables found inside maestro's block in ${plan.show(rec.file)}`,
    );
  }
  const added = droppedExtra.map((l) => l.trim()).filter(Boolean);
  if (added.length > 0) {
    const lines = added.join(' | ');
    plan.warnings.push(`removed with maestro's entry in ${plan.show(rec.file)} what was added to it: ${lines}`);
  }
  plan.steps.push({
    verb: removedBlock ? 'remove' : 'update',
    subject: removedBlock ? subject : `${subject} (still installed for others)`,
    apply: () => {
      if (deleteFile) unlinkSync(rec.file);
      else writeFileAtomic(rec.file, text);
      drop();
    },
  });
}
