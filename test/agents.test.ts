/**
 * The agent runtime end to end through the stdio MCP server, with the `command` backend running
 * scripted workers that talk to their own maestro server as real agents do.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groupAlive } from '../src/agents/liveness.js';
import { text } from './helpers/mcp.js';
import { CLI } from './helpers/paths.js';
import { agentRows, alive, startProject, until, worker } from './helpers/project.js';

type Outcome = { status: string; turn: number; result?: unknown; error?: string; agent_id: string };
type Waited = {
  timed_out: boolean;
  message: string;
  agents: Record<string, Outcome>;
  messages: { from: string; text: string }[];
};

describe('a worker’s life', () => {
  it('spawn → progress on the bus → report → wait returns it once → follow-up turn → close leaves no process', async () => {
    const p = await startProject();
    const spawned = await p.ok(
      'spawn_agent',
      worker('IMPL-001', {
        progress: ['context loaded', 'core done'],
        report: { status: 'completed', findings: 'cart works' },
      }),
    );
    expect(spawned).toMatchObject({ task_name: 'IMPL-001', status: 'running' });
    const session = spawned.session_id as string;

    const first = (await p.ok('wait_agent', { timeout_ms: 20_000 })) as unknown as Waited;
    expect(first.timed_out).toBe(false);
    expect(first.message).toBe('IMPL-001 reported its result');
    expect(first.agents['IMPL-001']).toMatchObject({
      turn: 1,
      result: { status: 'completed', findings: 'cart works' },
    });

    const progress = await p.ok('team_msg', { operation: 'list', session_id: session, type: 'progress' });
    expect(
      (progress.messages as { from: string; summary: string; sender_agent_id: string }[]).map((m) => [
        m.from,
        m.summary,
        m.sender_agent_id,
      ]),
    ).toEqual([
      ['IMPL-001', 'context loaded', spawned.agent_id],
      ['IMPL-001', 'core done', spawned.agent_id],
    ]);

    // the same completion is not news twice
    await waitForStatus(p, 'IMPL-001', 'completed');
    const again = (await p.ok('wait_agent', { timeout_ms: 2000 })) as unknown as Waited;
    expect(again.message).toBe('nothing to wait for: IMPL-001 completed');

    const follow = await p.ok('followup_task', {
      target: 'IMPL-001',
      message: JSON.stringify({ report: { round: 2 } }),
    });
    expect(follow).toMatchObject({ status: 'running', turn: 2, queued: false });
    const second = (await p.ok('wait_agent', { timeout_ms: 20_000, targets: ['IMPL-001'] })) as unknown as Waited;
    expect(second.agents['IMPL-001']).toMatchObject({ turn: 2, result: { round: 2 } });

    const listed = await p.ok('list_agents', {});
    const [view] = listed.agents as { pid: number | null; turns: number; latest_progress: string }[];
    expect(view).toMatchObject({ turns: 2, latest_progress: 'MSG-002 core done' });
    const pid = view!.pid;

    const closed = await p.ok('close_agent', { target: 'IMPL-001' });
    expect(closed.closed).toEqual(['IMPL-001']);
    if (pid) expect(alive(pid)).toBe(false);
    const after = await p.ok('list_agents', {});
    expect((after.agents as { status: string; pid: number | null }[])[0]).toMatchObject({
      status: 'shutdown',
      pid: null,
    });
    // the name is free again
    await p.ok('spawn_agent', worker('IMPL-001', { report: 'again' }));
  });

  it('returns at once when news is already waiting, and times out when none comes', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('FAST', { report: 'done' }));
    await waitForStatus(p, 'FAST', 'completed');
    let started = Date.now();
    const ready = (await p.ok('wait_agent', { timeout_ms: 10_000 })) as unknown as Waited;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ready.agents.FAST).toMatchObject({ status: 'completed', result: 'done' });

    await p.ok('spawn_agent', worker('SLOW', { sleep_ms: 10_000 }));
    started = Date.now();
    const timedOut = (await p.ok('wait_agent', { timeout_ms: 400, targets: ['SLOW'] })) as unknown as Waited;
    const elapsed = Date.now() - started;
    expect(timedOut).toMatchObject({ timed_out: true, message: 'timed out after 400 ms; still running: SLOW' });
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(3000);
  });

  it('a message sent to the coordinator ends its wait and is returned once', async () => {
    const p = await startProject();
    await p.ok(
      'spawn_agent',
      worker('SCOUT-001', {
        send: [{ target: 'coordinator', message: 'found the config in src/app' }],
        sleep_ms: 5000,
      }),
    );
    const waited = (await p.ok('wait_agent', { timeout_ms: 15_000 })) as unknown as Waited;
    expect(waited.message).toBe('message from SCOUT-001: found the config in src/app');
    expect(waited.messages).toEqual([
      { id: expect.stringMatching(/^MSG-/), from: 'SCOUT-001', text: 'found the config in src/app' },
    ]);
    expect(waited.agents['SCOUT-001']!.status).toBe('running');
    const next = (await p.ok('wait_agent', { timeout_ms: 300 })) as unknown as Waited;
    expect(next.timed_out).toBe(true);
  });

  it('a message to a worker that cannot take it mid-turn is queued and read from its mailbox', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('IMPL-002', { wait_mail_ms: 15_000, report: 'read my mail' }));
    const sent = await p.ok('send_message', { target: 'IMPL-002', message: 'use the fixtures in test/data' });
    expect(sent).toMatchObject({ target: 'IMPL-002', delivery: 'queued' });
    await p.ok('wait_agent', { timeout_ms: 20_000 });
    await waitForStatus(p, 'IMPL-002', 'completed');
    const transcript = readFileSync(
      path.join(p.dir, '.maestro', 'agents', await agentId(p, 'IMPL-002'), 'transcript.log'),
      'utf8',
    );
    expect(transcript).toContain('mail: use the fixtures in test/data');
  });

  it('interrupt ends the turn and leaves the agent open for a follow-up', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('LONG', { sleep_ms: 30_000 }));
    await waitForStatus(p, 'LONG', 'running');
    expect(await p.ok('interrupt_agent', { target: 'LONG' })).toEqual({ previous_status: 'running' });
    await waitForStatus(p, 'LONG', 'interrupted');
    await p.ok('followup_task', { target: 'LONG', message: JSON.stringify({ report: 'resumed' }) });
    const waited = (await p.ok('wait_agent', { timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.agents.LONG).toMatchObject({ turn: 2, result: 'resumed' });
  });

  it('a follow-up to a running agent becomes its next turn', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('Q', { sleep_ms: 800, print: 'first' }));
    const queued = await p.ok('followup_task', { target: 'Q', message: JSON.stringify({ print: 'second' }) });
    expect(queued).toMatchObject({ queued: true, turn: 2 });
    await waitForStatus(p, 'Q', 'completed', 2);
    const turns = (await p.ok('list_agents', {})).agents as { turns: number; result: unknown }[];
    expect(turns[0]).toMatchObject({ turns: 2, result: 'second' });
  });
});

describe('failures become errored, with the reason', () => {
  it('a missing binary', async () => {
    const p = await startProject();
    const spawned = await p.ok('spawn_agent', {
      task_name: 'GHOST',
      backend: 'command',
      command: ['/no/such/program'],
      message: 'x',
    });
    await waitForStatus(p, 'GHOST', 'errored');
    const waited = (await p.ok('wait_agent', { timeout_ms: 5000 })) as unknown as Waited;
    expect(waited.agents.GHOST!.error).toBe('/no/such/program: command not found');
    expect(spawned.task_name).toBe('GHOST');
  });

  it('a CLI that exits at once with an error', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', {
      task_name: 'CRASH',
      backend: 'command',
      command: [process.execPath, '-e', 'console.error("bad flag --frobnicate"); process.exit(3)'],
      message: 'x',
    });
    const waited = (await p.ok('wait_agent', { timeout_ms: 10_000 })) as unknown as Waited;
    expect(waited.agents.CRASH).toMatchObject({
      status: 'errored',
      error: 'exited with code 3: bad flag --frobnicate',
    });
  });
});

describe('time limits and missing CLIs', () => {
  it('a turn over the time limit is ended: errored, timed out', async () => {
    const p = await startProject({ config: { limits: { turn_timeout_ms: 1000, stop_grace_ms: 200 } } });
    await p.ok('spawn_agent', worker('HUNG', { sleep_ms: 60_000 }));
    const waited = (await p.ok('wait_agent', { timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.agents.HUNG).toMatchObject({ status: 'errored', error: 'timed out after 1000 ms' });
  });

  it('a Claude Code or Codex binary that is not installed leaves the agent errored, saying so', async () => {
    const p = await startProject({
      config: { backends: { claude: { command: ['/opt/none/claude'] }, codex: { command: ['/opt/none/codex'] } } },
    });
    await p.ok('spawn_agent', { task_name: 'NO-CLAUDE', backend: 'claude', message: 'x' });
    await p.ok('spawn_agent', { task_name: 'NO-CODEX', backend: 'codex', message: 'x' });
    await until(async () => (await agentRows(p)).every((a) => a.status === 'errored'), 10_000);
    const waited = (await p.ok('wait_agent', { timeout_ms: 5000 })) as unknown as Waited;
    expect(waited.agents['NO-CLAUDE']!.error).toBe('/opt/none/claude: command not found');
    expect(waited.agents['NO-CODEX']!.error).toBe('/opt/none/codex: command not found');
  });
});

describe('worktrees', () => {
  it('gives the agent its own checkout on maestro/<session>/<task>, removed on close when clean', async () => {
    const p = await startProject();
    const spawned = await p.ok(
      'spawn_agent',
      worker('WT-1', { report: 'ok' }, { isolation: 'worktree', session_id: 'wt-session' }),
    );
    expect(spawned.branch).toBe('maestro/wt-session/WT-1');
    expect(spawned.cwd).toBe(path.join(p.dir, '.maestro', 'worktrees', 'wt-session', 'WT-1'));
    expect(existsSync(path.join(spawned.cwd as string, 'README.md'))).toBe(true);
    await p.ok('wait_agent', { timeout_ms: 20_000 });
    const closed = await p.ok('close_agent', { target: 'WT-1' });
    expect(closed.worktrees).toEqual([
      { path: spawned.cwd, branch: 'maestro/wt-session/WT-1', kept: false, branch_kept: false },
    ]);
    expect(existsSync(spawned.cwd as string)).toBe(false);
    expect(execFileSync('git', ['branch', '--list', 'maestro/*'], { cwd: p.dir }).toString().trim()).toBe('');
  });

  it('keeps a dirty worktree and reports its branch', async () => {
    const p = await startProject();
    const spawned = await p.ok('spawn_agent', {
      task_name: 'WT-2',
      backend: 'command',
      command: ['sh', '-c', 'echo change > notes.txt'],
      message: 'write notes',
      isolation: 'worktree',
      session_id: 'wt2',
    });
    await waitForStatus(p, 'WT-2', 'completed', 1, 'wt2');
    const closed = await p.ok('close_agent', { target: 'WT-2', session_id: 'wt2' });
    expect(closed.worktrees).toEqual([
      { path: spawned.cwd, branch: 'maestro/wt2/WT-2', kept: true, branch_kept: true },
    ]);
    expect(readFileSync(path.join(spawned.cwd as string, 'notes.txt'), 'utf8')).toBe('change\n');
  });
});

describe('rules and limits', () => {
  it('rejects what it cannot do with errors that say what is allowed', async () => {
    const p = await startProject({ config: { limits: { max_open_agents: 2 } } });
    expect(await p.fails('spawn_agent', { message: 'x', agent_type: 'wizard' })).toMatch(
      /unknown agent_type 'wizard'; known types: default, lead, team_supervisor, team_worker/,
    );
    expect(
      await p.fails('spawn_agent', { message: 'x', fork_turns: 'all', backend: 'command', command: ['true'] }),
    ).toMatch(/fork_turns 'all' is not supported by the command backend/);
    expect(await p.fails('spawn_agent', { task_name: 'bad name!', message: 'x' })).toMatch(/at task_name/);
    expect(await p.fails('spawn_agent', { message: 'x', backend: 'command' })).toMatch(
      /the command backend needs an argv/,
    );
    expect(await p.fails('spawn_agent', { message: 'x', items: [{ type: 'text', text: 'y' }] })).toMatch(
      /exactly one of them/,
    );
    expect(await p.fails('spawn_agent', { message: 'x', cwd: '../..', backend: 'command', command: ['true'] })).toMatch(
      /outside the project/,
    );
    expect(await p.fails('wait_agent', { timeout_ms: 3_600_001 })).toMatch(/from 0 to 3600000 at timeout_ms/);
    expect(await p.fails('followup_task', { target: 'NOBODY', message: 'x' })).toMatch(/no agent 'NOBODY' in session/);

    await p.ok('spawn_agent', worker('A', { sleep_ms: 20_000 }));
    expect(await p.fails('spawn_agent', worker('A', {}))).toMatch(/already named A; close it first/);
    await p.ok('spawn_agent', worker('B', { sleep_ms: 20_000 }));
    expect(await p.fails('spawn_agent', worker('C', {}))).toMatch(
      /already has 2 open agents; the limit is 2 .*close_agent/,
    );
    await p.ok('close_agent', { target: 'B' });
    await p.ok('spawn_agent', worker('C', { report: 'fits now' }));
  });

  it('keeps a worker’s cwd inside the project, through symbolic links too, unless allowed_dirs lists the place', async () => {
    const { mkdirSync, symlinkSync, realpathSync } = await import('node:fs');
    const { tempDir } = await import('./helpers/temp.js');
    const outside = realpathSync(tempDir('maestro-outside-'));
    const project = await startProject();
    symlinkSync(outside, path.join(project.dir, 'escape'));
    const spawnIn = (cwd: string) => ({
      task_name: `PWD-${cwd.length}`,
      backend: 'command',
      command: [process.execPath, '-e', 'console.log(process.cwd())'],
      message: 'x',
      cwd,
    });
    expect(await project.fails('spawn_agent', spawnIn('escape'))).toBe(
      `cwd ${path.join(project.dir, 'escape')} (really ${outside}) is outside the project ${project.dir}; a worker may work there only if .maestro/config.json lists it in allowed_dirs`,
    );
    expect(await project.fails('spawn_agent', spawnIn(outside))).toMatch(/is outside the project .* allowed_dirs/);
    mkdirSync(path.join(project.dir, '..inside'));
    await project.ok('spawn_agent', spawnIn('..inside'));

    const allowing = await startProject({ config: { allowed_dirs: [outside] } });
    await allowing.ok('spawn_agent', spawnIn(outside));
    const waited = (await allowing.ok('wait_agent', { timeout_ms: 10_000 })) as unknown as Waited;
    expect(Object.values(waited.agents)[0]).toMatchObject({ status: 'completed', result: outside });
  });

  it('accepts the older items form and the ids alias', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', {
      ...worker('OLD', { report: 'ok' }),
      message: undefined,
      items: [{ type: 'text', text: `go\n${JSON.stringify({ report: 'ok' })}` }],
    });
    const waited = (await p.ok('wait_agent', { ids: ['OLD'], timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.agents.OLD!.result).toBe('ok');
  });

  it('report_agent_job_result is bound to the worker; the coordinator has nothing to report', async () => {
    const p = await startProject();
    expect(await p.fails('report_agent_job_result', { result: { forged: true } })).toMatch(/for worker agents/);
  });

  it('a worker may spawn below itself up to the depth limit, and not control a sibling', async () => {
    const p = await startProject({ config: { limits: { max_depth: 2 } } });
    const grandchild = {
      task_name: 'GRANDCHILD',
      backend: 'command',
      command: [process.execPath, '-e', '0'],
      message: 'x',
    };
    const childPlan = {
      spawn: worker('CHILD', { spawn: grandchild }),
      wait: true,
      calls: [{ name: 'close_agent', args: { target: 'SIBLING' } }],
      report: 'parent done',
    };
    await p.ok('spawn_agent', worker('SIBLING', { sleep_ms: 20_000 }));
    await p.ok('spawn_agent', worker('PARENT', childPlan));
    const waited = (await p.ok('wait_agent', { targets: ['PARENT'], timeout_ms: 30_000 })) as unknown as Waited;
    expect(waited.agents.PARENT!.result).toBe('parent done');
    const agents = (await p.ok('list_agents', {})).agents as {
      task_name: string;
      depth: number;
      parent: string | null;
      path: string;
      status: string;
      result: unknown;
    }[];
    const child = agents.find((a) => a.task_name === 'CHILD');
    expect(child).toMatchObject({ depth: 2, parent: 'PARENT', path: '/PARENT/CHILD', status: 'errored' });
    expect(child!.result).toMatch(/spawn_agent: .*nest agents 3 deep; the limit is 2/);
    expect(agents.find((a) => a.task_name === 'GRANDCHILD')).toBeUndefined();
    const parentLog = readFileSync(
      path.join(p.dir, '.maestro', 'agents', await agentId(p, 'PARENT'), 'transcript.log'),
      'utf8',
    );
    expect(parentLog).toMatch(/close_agent error: .*PARENT may close only agents it started/);
    expect(agents.find((a) => a.task_name === 'SIBLING')!.status).toBe('running');
    expect((await p.ok('list_agents', { path_prefix: '/PARENT' })).agents).toHaveLength(2);
  });
});

describe('the open-agent limit holds through failures', () => {
  it('a spawn that fails after its reservation holds no slot: max_open_agents spawns all succeed after it', async () => {
    const p = await startProject({ config: { limits: { max_open_agents: 2 } } });
    const inSession = { session_id: 'limits' };
    // A worktree that cannot be made (its directory is taken) fails before anything is reserved.
    mkdirSync(path.join(p.dir, '.maestro', 'worktrees', 'limits', 'WT'), { recursive: true });
    expect(await p.fails('spawn_agent', worker('WT', {}, { ...inSession, isolation: 'worktree' }))).toMatch(
      /a worktree already exists/,
    );
    // A file where the agents' directories go: the launch fails after the slot was reserved.
    const agentsDir = path.join(p.dir, '.maestro', 'agents');
    rmSync(agentsDir, { recursive: true, force: true });
    writeFileSync(agentsDir, 'not a directory');
    const failed = await p.call('spawn_agent', worker('BROKEN', {}, inSession));
    rmSync(agentsDir);

    await p.ok('spawn_agent', worker('A', { sleep_ms: 20_000 }, inSession));
    await p.ok('spawn_agent', worker('B', { sleep_ms: 20_000 }, inSession));
    expect(await p.fails('spawn_agent', worker('C', {}, inSession))).toMatch(
      /already has 2 open agents; the limit is 2 \(limits\.max_open_agents\)/,
    );
    // The failed spawn says why, and its agent stays listed, errored with the reason, running nothing.
    expect(failed.isError, text(failed)).toBeFalsy();
    expect(failed.structuredContent).toMatchObject({ task_name: 'BROKEN', status: 'errored' });
    const reason = (failed.structuredContent as { error: string }).error;
    expect(reason).toMatch(/^it could not be started: .*(ENOTDIR|EEXIST)/);
    const broken = (await p.ok('list_agents', inSession)).agents as { task_name: string }[];
    expect(broken.find((a) => a.task_name === 'BROKEN')).toMatchObject({
      status: 'errored',
      pid: null,
      error: reason,
    });
  });

  it('a follow-up cannot take an errored, exited agent past max_open_agents, and says which limit', async () => {
    const p = await startProject({ config: { limits: { max_open_agents: 1 } } });
    const crash = { backend: 'command', command: [process.execPath, '-e', 'process.exit(3)'], message: 'x' };
    await p.ok('spawn_agent', { task_name: 'CRASH', ...crash });
    await until(
      async () => (await agentRows(p)).some((a) => a.task_name === 'CRASH' && a.status === 'errored' && a.pid === null),
      20_000,
    );
    // Errored with its process gone, CRASH runs nothing and holds no slot: another agent may take it.
    await p.ok('spawn_agent', worker('BUSY', { sleep_ms: 20_000 }));
    expect(await p.fails('followup_task', { target: 'CRASH', message: 'again' })).toMatch(
      /CRASH cannot start a turn: session \S+ already has 1 open agents; the limit is 1 \(limits\.max_open_agents\)/,
    );
    const busy = (await agentRows(p)).filter((a) => a.status === 'running' || a.status === 'pending_init');
    expect(busy.map((a) => a.task_name)).toEqual(['BUSY']);
    // Once the slot is free again, the follow-up runs.
    await p.ok('close_agent', { target: 'BUSY' });
    expect(await p.ok('followup_task', { target: 'CRASH', message: 'again' })).toMatchObject({
      task_name: 'CRASH',
      turn: 2,
      queued: false,
    });
  });
});

describe('lifetime: the server going away leaves no worker process behind', () => {
  const endings: [string, (p: Awaited<ReturnType<typeof startProject>>) => Promise<void> | void][] = [
    ['the client closing its stdin', (p) => p.client.close()],
    ['SIGTERM', (p) => void process.kill(p.serverPid, 'SIGTERM')],
    ['SIGINT', (p) => void process.kill(p.serverPid, 'SIGINT')],
  ];
  it.each(endings)('%s stops every worker and everything each one started', async (_name, end) => {
    const p = await startProject();
    // Each worker runs its own maestro server (a second process in its group) and sleeps in its turn.
    const { session_id } = await p.ok('spawn_agent', worker('W1', { progress: ['up'], sleep_ms: 60_000 }));
    await p.ok('spawn_agent', worker('W2', { progress: ['up'], sleep_ms: 60_000 }));
    await until(async () => {
      const progress = await p.ok('team_msg', { operation: 'list', session_id, type: 'progress' });
      return (progress.messages as unknown[]).length === 2;
    });
    const pids = ((await p.ok('list_agents', {})).agents as { pid: number }[]).map((a) => a.pid);
    expect(pids.every((pid) => groupAlive(pid))).toBe(true);
    await end(p);
    await until(() => !alive(p.serverPid) && pids.every((pid) => !groupAlive(pid)), 10_000);
  });
});

describe('lifetime: a worker’s leftovers', () => {
  it('a worker that exits leaving a child behind ends its turn at once, and the child is stopped', async () => {
    const p = await startProject({ config: { limits: { stop_grace_ms: 200 } } });
    // The leftover inherits stdout, so the turn would otherwise not end until it exits by itself.
    const script =
      "require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' }).unref(); console.log('left a child')";
    const started = Date.now();
    await p.ok('spawn_agent', {
      task_name: 'LEAVER',
      backend: 'command',
      command: [process.execPath, '-e', script],
      message: 'x',
    });
    const pid = ((await p.ok('list_agents', {})).agents as { pid: number }[])[0]!.pid;
    const waited = (await p.ok('wait_agent', { timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.agents.LEAVER).toMatchObject({ status: 'completed', result: 'left a child' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await until(() => !groupAlive(pid), 5000);
  });
});

async function agentId(p: Awaited<ReturnType<typeof startProject>>, task: string): Promise<string> {
  const agents = (await p.ok('list_agents', {})).agents as { task_name: string; agent_id: string }[];
  return agents.find((a) => a.task_name === task)!.agent_id;
}

async function waitForStatus(
  p: Awaited<ReturnType<typeof startProject>>,
  task: string,
  status: string,
  turn?: number,
  session?: string,
): Promise<void> {
  await until(async () => {
    const agents = (await p.ok('list_agents', session ? { session_id: session } : {})).agents as {
      task_name: string;
      status: string;
      turns: number;
    }[];
    const agent = agents.find((a) => a.task_name === task && a.status !== 'shutdown');
    return agent?.status === status && (turn === undefined || agent.turns === turn);
  }, 20_000);
}

describe('identity', () => {
  it('a server that claims an agent it does not run inside refuses to serve', async () => {
    const p = await startProject();
    const spawned = await p.ok('spawn_agent', worker('REAL', { sleep_ms: 20_000 }));
    const { execFile } = await import('node:child_process');
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, 'mcp'],
        { cwd: p.dir, env: { PATH: process.env.PATH, MAESTRO_AGENT_ID: spawned.agent_id as string } },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
      child.stdin?.end();
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `MAESTRO_AGENT_ID names agent ${spawned.agent_id}, but this process does not run inside REAL's worker process`,
    );
  });

  it('transcripts rotate at their size bound', async () => {
    const { openTranscript, readTranscriptTail } = await import('../src/agents/transcript.js');
    const { mkdtempSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'transcript-'));
    const transcript = openTranscript(dir, 10_000);
    for (let i = 0; i < 500; i++) transcript.append('out', `line ${i} ${'x'.repeat(80)}`);
    expect(statSync(path.join(dir, 'transcript.log')).size).toBeLessThanOrEqual(10_000);
    expect(statSync(path.join(dir, 'transcript.log.1')).size).toBeLessThanOrEqual(10_000);
    expect(readTranscriptTail(dir, 1)[0]).toContain('line 499');
  });
});

describe('waiting', () => {
  it('sends MCP progress notifications while it waits, when the request asks for them', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('PROG', { sleep_ms: 2500, report: 'done' }));
    const notes: { progress: number; total?: number; message?: string }[] = [];
    const result = await p.client.callTool({ name: 'wait_agent', arguments: { timeout_ms: 20_000 } }, undefined, {
      onprogress: (progress) => notes.push(progress),
    });
    expect(result.isError).toBeFalsy();
    expect(notes.length).toBeGreaterThanOrEqual(1);
    expect(notes[0]).toMatchObject({ total: 20_000, message: 'waiting for PROG' });
  });
});

describe('a restarted server', () => {
  it('finds the session’s agents again and can follow them up', async () => {
    const first = await startProject();
    await first.ok('spawn_agent', worker('KEEP', { report: 'turn one' }, { session_id: 'restart' }));
    await first.ok('wait_agent', { session_id: 'restart', timeout_ms: 20_000 });
    await first.client.close();

    const second = await startProject({ dir: first.dir });
    const listed = await second.ok('list_agents', { session_id: 'restart' });
    expect(listed.agents).toEqual([expect.objectContaining({ task_name: 'KEEP', parent: null })]);
    await second.ok('followup_task', {
      target: 'KEEP',
      session_id: 'restart',
      message: JSON.stringify({ report: 'turn two' }),
    });
    const waited = (await second.ok('wait_agent', { session_id: 'restart', timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.agents.KEEP).toMatchObject({ turn: 2, result: 'turn two' });
  });
});

describe('maestro agents', () => {
  it('lists, shows and closes agents from a shell', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('SHOWN', { progress: ['halfway'], report: { ok: true } }, { session_id: 'cli' }));
    await p.ok('spawn_agent', worker('SLEEPY', { sleep_ms: 60_000 }, { session_id: 'cli' }));
    await p.ok('wait_agent', { session_id: 'cli', targets: ['SHOWN'], timeout_ms: 20_000 });
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [CLI, 'agents', ...args], {
        cwd: p.dir,
        env: { PATH: process.env.PATH },
      }).toString();
    const table = run('-s', 'cli').split('\n');
    expect(table[0]).toMatch(/^SESSION +TASK +STATUS +TYPE +TURNS +PID +LATEST PROGRESS$/);
    expect(table.find((l) => l.includes('SHOWN'))).toMatch(
      /cli +SHOWN +(running|completed) +default\/command +1 .*MSG-001 halfway$/,
    );
    const shown = run('show', 'SHOWN');
    expect(shown).toContain('"ok": true');
    expect(shown).toMatch(/transcript \(last \d+ lines\):/);
    const sleepyPid = (
      (await p.ok('list_agents', { session_id: 'cli' })).agents as { task_name: string; pid: number }[]
    ).find((a) => a.task_name === 'SLEEPY')!.pid;
    expect(run('close', 'SLEEPY', '-s', 'cli').trim()).toBe('closed SLEEPY (was running)');
    await until(() => !alive(sleepyPid), 10_000);
    const json = JSON.parse(run('-s', 'cli', '--json')) as { agents: { task_name: string; status: string }[] };
    expect(json.agents.find((a) => a.task_name === 'SLEEPY')!.status).toBe('shutdown');
  });
});

describe('news and new work', () => {
  it('an earlier turn’s completion, never waited for, does not end a wait for the next turn', async () => {
    const p = await startProject();
    await p.ok('spawn_agent', worker('RESIDENT', { print: 'standing by' }));
    await p.ok('spawn_agent', worker('OTHER', { report: 'other done' }));
    await p.ok('wait_agent', { targets: ['OTHER'], timeout_ms: 20_000 });
    await until(async () => (await agentRows(p)).find((a) => a.task_name === 'RESIDENT')!.status === 'completed');
    await p.ok('followup_task', {
      target: 'RESIDENT',
      message: JSON.stringify({ sleep_ms: 500, report: { verdict: 'pass' } }),
    });
    const waited = (await p.ok('wait_agent', { targets: ['RESIDENT'], timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.agents.RESIDENT).toMatchObject({ turn: 2, result: { verdict: 'pass' } });
  });
});

describe('after the server is killed', () => {
  it('the next server stops the orphaned worker, ends its turn with the reason, and a follow-up resumes the agent', async () => {
    const first = await startProject();
    await first.ok('spawn_agent', worker('ORPHAN', { sleep_ms: 60_000 }, { session_id: 'crash' }));
    const [before] = await agentRows(first, 'crash');
    expect(before!.status).toBe('running');
    process.kill(first.serverPid, 'SIGKILL');
    await until(() => !alive(first.serverPid), 5000);
    expect(alive(before!.pid!)).toBe(true); // left running by the dead server, in its own process group

    const second = await startProject({ dir: first.dir });
    expect(alive(before!.pid!)).toBe(false);
    const [after] = await agentRows(second, 'crash');
    expect(after).toMatchObject({ status: 'errored', pid: null });
    expect((await second.ok('list_agents', { session_id: 'crash' })).agents).toEqual([
      expect.objectContaining({ error: expect.stringMatching(/its maestro server \(pid \d+\) stopped unexpectedly/) }),
    ]);
    await second.ok('followup_task', {
      target: 'ORPHAN',
      session_id: 'crash',
      message: JSON.stringify({ report: 'back' }),
    });
    const waited = (await second.ok('wait_agent', { session_id: 'crash', timeout_ms: 20_000 })) as unknown as Waited;
    expect(waited.agents.ORPHAN).toMatchObject({ turn: 2, result: 'back' });
  });
});
