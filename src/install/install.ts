/**
 * `maestro install` planned: the package's skills (and, for Claude Code, its command and agent
 * files) copied into the client's folders, and the maestro-tools server registered — in
 * `.mcp.json` / `~/.claude.json` for Claude Code, in Codex's config.toml as a managed block; in a
 * project, `.maestro/` goes into its .gitignore and Codex's own multi-agent tools are turned off
 * in its `.codex/config.toml` (see project-lines.ts).
 * A file that exists and was not written by maestro is a conflict unless --force (which keeps
 * the original for uninstall); a copy the user edited since maestro wrote it is kept (with a
 * warning) unless --force; what is already in place is left alone, so a second run does nothing.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { BlockError, foreignDefinition, SERVER_NAME, upsertBlock } from './codex-block.js';
import { makeDirs, pathKind, sha256, writeFileAtomic } from './fs-util.js';
import { jsonGet, jsonSet } from './json-edit.js';
import type { JsonRecord } from './manifest.js';
import { planCodexFeatures, planGitignore } from './project-lines.js';
import { applyPlan, newPlan, planRemoveFile, verifyJsonEdit, type Plan, type PlanOptions } from './plan.js';
import { MAESTRO_BIN, PACKAGE_ROOT } from '../package-root.js';
import { VERSION } from '../version.js';
import {
  claudeServer,
  codexServer,
  describeEntry,
  projectServer,
  volatilePath,
  type ClaudeServer,
} from './registration.js';
import { desiredContent, packageRoot, sourceFiles, type Client } from './sources.js';

export function install(options: PlanOptions): Plan {
  const plan = newPlan(options);
  const root = packageRoot(options.env);
  for (const client of options.clients) {
    planFiles(plan, root, client);
    if (client === 'claude') planClaudeServer(plan);
    else planCodexServer(plan);
    if (client === 'codex' && options.scope === 'project') planCodexFeatures(plan);
  }
  if (options.scope === 'project') planGitignore(plan);
  applyPlan(plan);
  return plan;
}

function planFiles(plan: Plan, root: string, client: Client): void {
  const { manifest, steps, conflicts, options } = plan;
  const base = plan.loc.base[client];
  const wanted = new Set<string>();
  for (const file of sourceFiles(root, client)) {
    const dest = path.join(base, ...file.relative.split('/'));
    wanted.add(dest);
    const content = desiredContent(file, client);
    const hash = sha256(content);
    const subject = plan.show(dest);
    const rec = manifest.files.find((r) => r.path === dest);
    const write = () => {
      plan.recordDirs(client, makeDirs(path.dirname(dest)));
      writeFileAtomic(dest, content, file.executable ? 0o755 : undefined);
    };
    const kind = pathKind(dest);
    if (kind === 'missing') {
      steps.push({
        verb: 'create',
        subject,
        apply: () => {
          write();
          manifest.files = manifest.files.filter((r) => r !== rec);
          manifest.files.push({ client, path: dest, sha256: hash });
        },
      });
      continue;
    }
    if (kind !== 'file') {
      conflicts.push({ subject, reason: `is a ${kind === 'dir' ? 'directory' : 'special file'}`, forceable: false });
      continue;
    }
    const current = sha256(readFileSync(dest));
    if (current === hash) {
      if (rec && rec.sha256 !== hash) steps.push({ subject, apply: () => void (rec.sha256 = hash) });
      continue;
    }
    if (rec && rec.sha256 === current) {
      steps.push({ verb: 'update', subject, apply: () => (write(), void (rec.sha256 = hash)) });
      continue;
    }
    if (!options.force) {
      // A copy maestro installed and the user edited since is theirs now: keep it, say so.
      if (rec) plan.warnings.push(`kept ${subject}: changed since maestro installed it (--force takes maestro's copy)`);
      else conflicts.push({ subject, reason: 'exists and was not written by maestro', forceable: true });
      continue;
    }
    if (rec) {
      steps.push({ verb: 'replace', subject, apply: () => (write(), void (rec.sha256 = hash)) });
      continue;
    }
    // Someone else's file, replaced on request: keep it, for uninstall to put back.
    const backup = path.join(path.dirname(plan.loc.manifest), 'install-backup', client, ...file.relative.split('/'));
    steps.push({
      verb: 'replace',
      subject: `${subject} (the old one is kept in ${plan.show(backup)})`,
      apply: () => {
        plan.recordDirs(client, makeDirs(path.dirname(backup)));
        copyFileSync(dest, backup);
        write();
        manifest.files.push({ client, path: dest, sha256: hash, backup });
      },
    });
  }
  // Files an earlier install made that the package no longer has.
  for (const rec of manifest.files.filter((r) => r.client === client && !wanted.has(r.path))) planRemoveFile(plan, rec);
}

function planClaudeServer(plan: Plan): void {
  const { manifest, steps, conflicts, options } = plan;
  const file = plan.loc.claudeJson;
  const parent = ['mcpServers'];
  const key = SERVER_NAME;
  const value = claudeValue(plan);
  const subject = `${plan.show(file)}: ${parent.join('.')}.${key}`;
  const rec = manifest.json.find((r) => r.file === file && r.key === key);
  const setRecord = (next: JsonRecord) => {
    manifest.json = [...manifest.json.filter((r) => r !== rec), next];
  };
  const kind = pathKind(file);
  if (kind === 'missing') {
    const text = `${JSON.stringify({ [parent[0]!]: { [key]: value } }, null, 2)}\n`;
    steps.push({
      verb: 'create',
      subject,
      apply: () => {
        plan.recordDirs('claude', makeDirs(path.dirname(file)));
        writeFileAtomic(file, text);
        setRecord({ client: 'claude', file, parent, key, value, createdFile: true, createdParents: 1 });
      },
    });
    return;
  }
  const conflict = (reason: string, forceable = false) => void conflicts.push({ subject, reason, forceable });
  if (kind !== 'file') return conflict('is not a file');
  const text = readFileSync(file, 'utf8');
  let existing: ReturnType<typeof jsonGet>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    existing = jsonGet(text, parent, key);
  } catch (error) {
    return conflict(`cannot be edited: ${(error as Error).message}; fix it, or add the ${key} server yourself`);
  }
  const edit = () => {
    const result = jsonSet(text, parent, key, value);
    verifyJsonEdit(file, text, result.text, parent, key);
    return result;
  };
  if (!existing) {
    const result = edit();
    steps.push({
      verb: 'merge',
      subject,
      apply: () => {
        writeFileAtomic(file, result.text);
        setRecord({
          client: 'claude',
          file,
          parent,
          key,
          value,
          createdFile: false,
          createdParents: result.createdParents,
          ...(result.emptyInner !== undefined ? { emptyInner: result.emptyInner } : {}),
        });
      },
    });
    return;
  }
  if (isDeepStrictEqual(existing.value, value)) {
    if (rec && !isDeepStrictEqual(rec.value, value)) steps.push({ subject, apply: () => void (rec.value = value) });
    return;
  }
  if (rec && isDeepStrictEqual(existing.value, rec.value)) {
    const result = edit();
    steps.push({
      verb: 'update',
      subject,
      apply: () => (writeFileAtomic(file, result.text), void (rec.value = value)),
    });
    return;
  }
  if (!options.force) {
    return conflict(
      rec
        ? 'changed since maestro installed it'
        : `already registers ${key} as \`${describeEntry(existing.value as object)}\`, not written by maestro (keep it, or use --force to replace it; uninstall puts it back)`,
      true,
    );
  }
  const result = edit();
  steps.push({
    verb: 'replace',
    subject,
    apply: () => {
      writeFileAtomic(file, result.text);
      if (rec) rec.value = value;
      else {
        setRecord({
          client: 'claude',
          file,
          parent,
          key,
          value,
          createdFile: false,
          createdParents: 0,
          previousRaw: existing.raw,
        });
      }
    },
  });
}

/** The project's `.mcp.json` is shared: a portable command when one works (registration.ts). */
function claudeValue(plan: Plan): ClaudeServer {
  const { options } = plan;
  if (options.scope === 'user') return warnVolatile(plan, claudeServer());
  const { server, portable } = projectServer({
    packageRoot: PACKAGE_ROOT,
    bin: MAESTRO_BIN,
    version: VERSION,
    cwd: options.project,
    env: options.env,
  });
  if (!portable) {
    plan.warnings.push(
      `${plan.show(plan.loc.claudeJson)} gets this machine's paths (${describeEntry(server)}): teammates who share it ` +
        "cannot start it. Put maestro on the PATH ('npm i -g maestro-tools') and install again to write 'maestro mcp', " +
        'or keep the registration to yourself with --user',
    );
  }
  return server;
}

/** A per-user registration names this installation: say so when it will not last. */
function warnVolatile<T>(plan: Plan, server: T): T {
  const why = volatilePath(MAESTRO_BIN);
  const warning = `registered ${MAESTRO_BIN}, ${why}: it will stop working; install maestro for good ('npm i -g maestro-tools') and run maestro install again`;
  if (why && !plan.warnings.includes(warning)) plan.warnings.push(warning);
  return server;
}

function planCodexServer(plan: Plan): void {
  const { manifest, steps, conflicts } = plan;
  const file = plan.loc.codexConfig;
  const owner = plan.loc.owner;
  const subject = `${plan.show(file)}: [mcp_servers.${SERVER_NAME}]`;
  const kind = pathKind(file);
  if (kind !== 'missing' && kind !== 'file')
    return void conflicts.push({ subject, reason: 'is not a file', forceable: false });
  const text = kind === 'file' ? readFileSync(file, 'utf8') : undefined;
  let result: ReturnType<typeof upsertBlock>;
  try {
    const line = text === undefined ? undefined : foreignDefinition(text);
    if (line !== undefined) {
      conflicts.push({
        subject,
        reason:
          `already defined at line ${line}, outside maestro's managed block; remove that entry ` +
          `(e.g. 'codex mcp remove ${SERVER_NAME}') and run maestro install again, or keep it and leave out --codex`,
        forceable: false,
      });
      return;
    }
    result = upsertBlock(text, warnVolatile(plan, codexServer()), owner);
  } catch (error) {
    if (!(error instanceof BlockError)) throw error;
    return void conflicts.push({ subject, reason: `${error.message}; repair or remove it`, forceable: false });
  }
  const record = () => {
    if (!manifest.toml.some((r) => r.file === file && r.owner === owner))
      manifest.toml.push({ client: 'codex', file, owner });
  };
  if (result.action === 'unchanged') {
    steps.push({ subject, apply: record });
    return;
  }
  steps.push({
    verb: result.action,
    subject,
    apply: () => {
      plan.recordDirs('codex', makeDirs(path.dirname(file)));
      writeFileAtomic(file, result.text);
      record();
    },
  });
}
