/**
 * `maestro uninstall` planned: exactly what the manifest records for the chosen clients is taken
 * back — files maestro created (only while unchanged; a changed one is kept with a warning, a
 * file --force replaced is put back), the JSON member it added, its line in Codex's block (the
 * block itself once nobody uses it), the lines it appended to project files (the .gitignore line
 * with the last client) and the directories it created, once empty.
 */
import {
  applyPlan,
  newPlan,
  planRemoveFile,
  planRemoveJson,
  planRemoveToml,
  type Plan,
  type PlanOptions,
} from './plan.js';
import { planRemoveLines } from './lines.js';
import { hasClientRecords } from './manifest.js';
import { CLIENTS } from './sources.js';

export function uninstall(options: PlanOptions): Plan {
  const plan = newPlan(options);
  const { manifest } = plan;
  for (const client of options.clients) {
    for (const rec of manifest.files.filter((r) => r.client === client)) planRemoveFile(plan, rec);
    if (client === 'claude') for (const rec of [...manifest.json]) planRemoveJson(plan, rec);
    if (client === 'codex') for (const rec of [...manifest.toml]) planRemoveToml(plan, rec);
    for (const rec of manifest.lines.filter((r) => r.client === client)) planRemoveLines(plan, rec);
  }
  // What serves the whole install (the .gitignore line) goes with the last client.
  if (!CLIENTS.some((c) => !options.clients.includes(c) && hasClientRecords(manifest, c))) {
    for (const rec of manifest.lines.filter((r) => r.client === 'maestro')) planRemoveLines(plan, rec);
  }
  applyPlan(plan, options.clients);
  return plan;
}
