/**
 * Git worktrees for agents spawned with isolation "worktree": each gets its own checkout on
 * branch maestro/<session>/<task_name>. On close a clean worktree is removed (and its branch too
 * when it holds no new commits); a dirty one is kept and reported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { z } from 'zod';
import { MaestroError } from '../errors.js';

export interface Worktree {
  path: string;
  branch: string;
}

export async function createWorktree(
  projectRoot: string,
  dataDir: string,
  session: string,
  task: string,
): Promise<Worktree> {
  const git = simpleGit(projectRoot);
  if (!(await git.checkIsRepo())) {
    throw new MaestroError('invalid_input', `isolation "worktree" needs a git repository; ${projectRoot} is not one`);
  }
  const branch = `maestro/${session}/${task}`;
  const where = path.join(dataDir, 'worktrees', session, task);
  if (existsSync(where)) throw new MaestroError('conflict', `a worktree already exists at ${where}`);
  try {
    await git.raw(['worktree', 'add', '-b', branch, where, 'HEAD']);
  } catch (error) {
    throw new MaestroError(
      'invalid_input',
      `cannot create worktree ${where} on branch ${branch}: ${(error as Error).message.trim()}`,
    );
  }
  return { path: where, branch };
}

export const worktreeOutcomeSchema = z.object({
  path: z.string(),
  branch: z.string(),
  kept: z.boolean().describe('Kept because it has uncommitted changes.'),
  branch_kept: z.boolean().describe('The branch stays: it holds commits, or the worktree was kept.'),
});
export type WorktreeOutcome = z.infer<typeof worktreeOutcomeSchema>;

export async function removeWorktree(projectRoot: string, worktree: Worktree): Promise<WorktreeOutcome> {
  const git = simpleGit(projectRoot);
  if (!existsSync(worktree.path)) return { ...worktree, kept: false, branch_kept: true };
  const dirty = (await simpleGit(worktree.path).status()).files.length > 0;
  if (dirty) return { ...worktree, kept: true, branch_kept: true };
  const ahead = Number((await git.raw(['rev-list', '--count', `HEAD..${worktree.branch}`])).trim());
  await git.raw(['worktree', 'remove', worktree.path]);
  if (ahead === 0) await git.raw(['branch', '-D', worktree.branch]);
  return { ...worktree, kept: false, branch_kept: ahead > 0 };
}
