/**
 * A project whose maestro server runs real Claude Code / Codex workers offline: the scripted model
 * servers stand in for the APIs, and the server's environment (which workers inherit) points the
 * CLIs at them, with a throwaway home so no real profile is read.
 */
import path from 'node:path';
import { afterEach } from 'vitest';
import { startAnthropicServer } from '../../src/scripted/anthropic.js';
import type { ScriptedServer } from '../../src/scripted/http.js';
import { claudeOfflineEnv, codexOfflineEnv } from '../../src/scripted/offline-env.js';
import { startOpenAIServer } from '../../src/scripted/openai.js';
import type { Script } from '../../src/scripted/script.js';
import { ROOT } from './paths.js';
import { alive, gitProject, startProject, until, type Project } from './project.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const BIN = path.join(ROOT, 'node_modules', '.bin');

export interface OfflineProject extends Project {
  model: ScriptedServer;
}

export async function claudeProject(script: Script, config: object = {}): Promise<OfflineProject> {
  const model = await startAnthropicServer(script);
  cleanups.push(() => model.close());
  const offline = claudeOfflineEnv({ baseUrl: model.url, extra: { PATH: `${BIN}:${process.env.PATH}` } });
  cleanups.push(offline.cleanup);
  const project = await startProject({ dir: gitProject(), config, env: offline.env });
  cleanups.push(() => stopServer(project));
  return { ...project, model };
}

export async function codexProject(script: Script, config: object = {}): Promise<OfflineProject> {
  const model = await startOpenAIServer(script);
  cleanups.push(() => model.close());
  const offline = codexOfflineEnv({ baseUrl: model.url, extra: { PATH: `${BIN}:${process.env.PATH}` } });
  cleanups.push(offline.cleanup);
  const project = await startProject({ dir: gitProject(), config, env: offline.env });
  cleanups.push(() => stopServer(project));
  return { ...project, model };
}

/** Closes the server and waits until it has stopped its workers, before their home is removed. */
async function stopServer(project: Project): Promise<void> {
  await project.client.close();
  await until(() => !alive(project.serverPid), 15_000);
}
