/**
 * spawn_agent: reserve a slot (limits checked atomically with the insert), then start a real
 * worker process on its first turn. A worktree made for the agent is removed again if the
 * reservation fails; a process that cannot start leaves the agent errored with the reason.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nanoid } from 'nanoid';
import { hashSecret } from '../../bus/agent-store.js';
import { SELF } from '../../agents/liveness.js';
import { firstTurnText } from '../../agents/prompt.js';
import { secretFile } from '../../agents/supervisor.js';
import { createWorktree, removeWorktree, type Worktree } from '../../agents/worktree.js';
import type { BackendName } from '../../backends/types.js';
import { MaestroError } from '../../errors.js';
import type { Caller } from '../caller.js';
import type { AgentDeps } from './deps.js';

export interface SpawnInput {
  message: string;
  task_name?: string | undefined;
  agent_type?: string | undefined;
  model?: string | undefined;
  reasoning_effort?: string | undefined;
  fork_turns?: string | undefined;
  backend?: BackendName | undefined;
  command?: string[] | undefined;
  cwd?: string | undefined;
  isolation?: 'worktree' | undefined;
  session_id?: string | undefined;
}

export interface SpawnResult {
  agent_id: string;
  task_name: string;
  session_id: string;
  status: string;
  error?: string;
  cwd: string;
  branch?: string;
}

/** Whether `dir` is `root` or below it (both already real paths). */
function within(root: string, dir: string): boolean {
  const relative = path.relative(root, dir);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/**
 * A worker's cwd stays inside the project, or inside a directory the configuration allows.
 * Symbolic links are resolved first, so a link in the project cannot lead a worker out of it.
 */
function workingDirectory(deps: AgentDeps, requested: string | undefined): string {
  const root = deps.config.projectRoot;
  const dir = path.resolve(root, requested ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MaestroError('invalid_input', `cwd ${dir} is not a directory`);
  }
  const real = realpathSync(dir);
  const allowed = [root, ...deps.config.config.allowed_dirs.map((d) => path.resolve(root, d))]
    .filter((d) => existsSync(d))
    .map((d) => realpathSync(d));
  if (!allowed.some((d) => within(d, real))) {
    const where = real === dir ? dir : `${dir} (really ${real})`;
    throw new MaestroError(
      'forbidden',
      `cwd ${where} is outside the project ${root}; a worker may work there only if .maestro/config.json lists it in allowed_dirs`,
    );
  }
  return real;
}

export async function spawnAgent(deps: AgentDeps, caller: Caller, input: SpawnInput): Promise<SpawnResult> {
  const sessionId = deps.session.resolve(caller, input.session_id);
  const agentType = input.agent_type ?? 'default';
  const type = deps.config.agentType(agentType);
  const backendName = input.backend ?? type.backend ?? 'claude';
  const backend = deps.supervisor.backend(backendName);
  if (input.fork_turns !== undefined && input.fork_turns !== 'none' && !backend.capabilities.forkTurns) {
    throw new MaestroError(
      'invalid_input',
      `fork_turns '${input.fork_turns}' is not supported by the ${backendName} backend: a new agent starts with only its task; use fork_turns "none" or leave it out`,
    );
  }
  const command = input.command ?? type.command;
  if (backendName === 'command' && !command) {
    throw new MaestroError(
      'invalid_input',
      `the command backend needs an argv: pass command: ["program", "arg", …] or set agent_types.${agentType}.command in the project configuration`,
    );
  }
  if (input.command && backendName !== 'command') {
    throw new MaestroError(
      'invalid_input',
      `command applies only to the command backend (this agent uses ${backendName})`,
    );
  }
  const id = nanoid();
  const taskName = input.task_name ?? `${agentType.replace(/[^A-Za-z0-9_.-]/g, '-')}-${id.slice(0, 6)}`;
  let cwd = workingDirectory(deps, input.cwd);
  const parent = caller.agentId ? deps.agents.get(caller.agentId) : null;

  let worktree: Worktree | null = null;
  if (input.isolation === 'worktree') {
    worktree = await createWorktree(deps.config.projectRoot, deps.dataDir, sessionId, taskName);
    cwd = worktree.path;
  }

  const secret = randomBytes(32).toString('base64url');
  let agent;
  try {
    agent = deps.agents.reserve(
      {
        id,
        session_id: sessionId,
        task_name: taskName,
        nickname: null,
        agent_type: agentType,
        parent_id: parent?.id ?? null,
        depth: (parent?.depth ?? 0) + 1,
        path: `${parent?.path ?? ''}/${taskName}`,
        backend: backendName,
        command: backendName === 'command' ? JSON.stringify(command) : null,
        model: input.model ?? type.model ?? null,
        reasoning_effort: input.reasoning_effort ?? type.reasoning_effort ?? null,
        cwd,
        worktree: worktree?.path ?? null,
        branch: worktree?.branch ?? null,
        owner_pid: SELF.pid,
        owner_start: SELF.start,
        secret_hash: hashSecret(secret),
        task: input.message,
      },
      { maxOpenAgents: deps.config.config.limits.max_open_agents, maxDepth: deps.config.config.limits.max_depth },
    );
  } catch (error) {
    if (worktree) await removeWorktree(deps.config.projectRoot, worktree).catch(() => undefined);
    throw error;
  }
  writeFileSync(secretFile(deps.dataDir, id), `${secret}\n`, { mode: 0o600 });
  deps.session.remember(caller, sessionId);

  const parentName = parent?.task_name ?? 'the coordinator';
  deps.supervisor.runTurn(agent, firstTurnText(agent, parentName, input.message), input.message);
  const after = deps.agents.get(id)!;
  deps.logger.info(
    { agent: id, task: taskName, session: sessionId, backend: backendName, status: after.status },
    'spawned',
  );
  return {
    agent_id: id,
    task_name: taskName,
    session_id: sessionId,
    status: after.status,
    ...(after.status === 'errored' && after.status_reason ? { error: after.status_reason } : {}),
    cwd,
    ...(worktree ? { branch: worktree.branch } : {}),
  };
}
