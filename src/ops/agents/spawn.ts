/**
 * spawn_agent: reserve a slot (limits checked atomically with the insert), then start a real
 * worker process on its first turn. A worktree made for the agent is removed again if the
 * reservation fails; anything that fails after it (a process that cannot start, the agent's
 * files, the server stopping) leaves the agent errored with the reason, holding no slot
 * (reservation.ts).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import { SELF_OWNER } from '../../agents/liveness.js';
import { firstTurnText } from '../../agents/prompt.js';
import { createWorktree, removeWorktree, type Worktree } from '../../agents/worktree.js';
import type { BackendName } from '../../backends/types.js';
import { MaestroError } from '../../errors.js';
import { checkBudget } from '../budget.js';
import { RESERVED_ROLES, type Caller } from '../caller.js';
import { steeringLines } from '../steering.js';
import type { AgentDeps } from './deps.js';
import { startReserved } from './reservation.js';
import { NO_PROCESS } from '../../agents/supervisor.js';
import type { AgentRecord } from '../../store/records.js';
import { checkPlacement, placeOnHost } from '../hosts/place.js';

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
  /** Run it on the maestro host of this name (another machine); else on one with every label. */
  host?: string | undefined;
  labels?: string[] | undefined;
}

export const spawnResultSchema = z.object({
  agent_id: z.string(),
  task_name: z.string(),
  session_id: z.string(),
  status: z.string(),
  error: z.string().optional().describe('Why it failed to start, when status is errored.'),
  cwd: z.string(),
  branch: z.string().optional(),
  host: z.string().optional().describe('The maestro host it runs on, when it was placed on one.'),
});
export type SpawnResult = z.infer<typeof spawnResultSchema>;

/** Whether `dir` is `root` or below it (both already real paths). */
function within(root: string, dir: string): boolean {
  const relative = path.relative(root, dir);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

const realIfThere = (dirs: string[]) => dirs.filter((d) => existsSync(d)).map((d) => realpathSync(d));

/**
 * A worker's cwd stays inside the project, or inside a directory the configuration allows, and
 * never in the project's `.git` (the repository itself) or maestro's data directory (every
 * agent's state), except an agent's own worktree kept there. Symbolic links are resolved first,
 * so a link cannot lead a worker out of the project or into either.
 */
export async function workingDirectory(deps: AgentDeps, requested: string | undefined): Promise<string> {
  const root = deps.config.projectRoot;
  const dir = path.resolve(root, requested ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MaestroError('invalid_input', `cwd ${dir} is not a directory`);
  }
  const real = realpathSync(dir);
  const where = real === dir ? dir : `${dir} (really ${real})`;
  const allowed = realIfThere([root, ...deps.config.config.allowed_dirs.map((d) => path.resolve(root, d))]);
  if (!allowed.some((d) => within(d, real))) {
    throw new MaestroError(
      'forbidden',
      `cwd ${where} is outside the project ${root}; a worker may work there only if .maestro/config.json lists it in allowed_dirs`,
    );
  }
  const worktrees = realIfThere((await deps.agents.list({})).flatMap((a) => (a.worktree ? [a.worktree] : [])));
  const closed = realIfThere([path.join(root, '.git'), path.join(root, '.maestro'), deps.dataDir]);
  if (closed.some((d) => within(d, real)) && !worktrees.some((w) => within(w, real))) {
    throw new MaestroError(
      'forbidden',
      `cwd ${where} is in the project's .git or .maestro directory (the repository, and every agent's state); a worker may work anywhere else in the project ${root}, in an agent's worktree, or in a directory allowed_dirs lists`,
    );
  }
  return real;
}

export async function spawnAgent(deps: AgentDeps, caller: Caller, input: SpawnInput): Promise<SpawnResult> {
  const sessionId = await deps.session.resolve(caller, input.session_id);
  const agentType = input.agent_type ?? 'default';
  const type = deps.config.agentType(agentType);
  await checkBudget(deps, sessionId, 'spawn_agent');
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
  if (RESERVED_ROLES.includes(taskName)) {
    throw new MaestroError(
      'invalid_input',
      `task_name '${taskName}' is reserved (${RESERVED_ROLES.join(', ')} name the coordinator, people, a worker's parent and everyone); choose another, like IMPL-001`,
    );
  }
  const placement =
    input.host !== undefined || input.labels?.length ? { host: input.host ?? null, labels: input.labels ?? [] } : null;
  if (placement) {
    if (input.isolation) {
      throw new MaestroError(
        'invalid_input',
        'isolation "worktree" is made on the coordinator\'s machine and cannot be given to a worker on another host; leave it out, or spawn without host and labels',
      );
    }
    await checkPlacement(deps, placement);
  }
  // A placed worker's directory is resolved by its host, in that machine's checkout of the project.
  let cwd = placement ? (input.cwd ?? '.') : await workingDirectory(deps, input.cwd);
  const parent = caller.agentId ? await deps.agents.get(caller.agentId) : null;

  let worktree: Worktree | null = null;
  if (input.isolation === 'worktree') {
    worktree = await createWorktree(deps.config.projectRoot, deps.dataDir, sessionId, taskName);
    cwd = worktree.path;
  }

  let agent;
  try {
    agent = await deps.agents.reserve(
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
        ...(placement ? NO_PROCESS : SELF_OWNER),
        // the whole tree belongs to the top-level client that started it
        client_id: parent ? parent.client_id : caller.clientId,
        task: input.message,
      },
      { maxOpenAgents: deps.config.config.limits.max_open_agents, maxDepth: deps.config.config.limits.max_depth },
    );
  } catch (error) {
    if (worktree) await removeWorktree(deps.config.projectRoot, worktree).catch(() => undefined);
    throw error;
  }
  const reserved = agent;
  let after: AgentRecord;
  let placedOn: string | null = null;
  if (placement) {
    await deps.session.remember(caller, sessionId);
    deps.watchHosts?.();
    const steering = steeringLines(await deps.store.steering.active(sessionId));
    const parentName = parent?.task_name ?? 'the coordinator';
    ({ agent: after, host: placedOn } = await placeOnHost(deps, reserved, placement, {
      text: firstTurnText(reserved, parentName, input.message, steering),
      task: input.message,
      cwd: input.cwd ?? null,
    }));
    cwd = after.cwd;
  } else {
    await startReserved(deps, reserved, async () => {
      await deps.session.remember(caller, sessionId);
      const parentName = parent?.task_name ?? 'the coordinator';
      // The operator's directives in force apply to a worker spawned after them.
      const steering = steeringLines(await deps.store.steering.active(sessionId));
      await deps.supervisor.runTurn(
        reserved,
        firstTurnText(reserved, parentName, input.message, steering),
        input.message,
      );
    });
    after = (await deps.agents.get(id))!;
  }
  deps.logger.info(
    { agent: id, task: taskName, session: sessionId, backend: backendName, status: after.status, host: placedOn },
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
    ...(placedOn ? { host: placedOn } : {}),
  };
}
