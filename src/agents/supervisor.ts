/**
 * The supervisor owns the worker processes this server started. It runs turns (in a live
 * process when the backend keeps one, else in a new process that resumes the backend's own
 * session), turns backend events into status transitions through the agent store, hands mail to
 * running workers between tool calls, enforces the turn time limit, lets idle persistent workers
 * go, and stops every worker when the server stops. Expected outcomes are returned, not thrown.
 *
 * Order: the events of one worker process are handled one after another, in the order it sent
 * them (each waits for the store calls of the one before), and so is mail handed to it; the turns
 * of one agent are started one at a time, so a follow-up that arrives while a start is being
 * recorded finds the turn open and is queued behind it.
 *
 * What outlives this process is in the store, not here: which server runs an agent (its instance
 * id and host beside the pids), the open turn and its deadline, and the queued follow-ups — a
 * server that dies leaves them to the next (ops/agents/resume.ts). What is kept here is only what
 * belongs to the live processes: their handles, timers and order of work.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentStore } from '../store/agent-store.js';
import type { MessageStore } from '../store/message-store.js';
import type { AgentRecord } from '../store/records.js';
import type { Notifier } from '../store/store.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { Backend, BackendEvent, LaunchSpec, Usage, WorkerProcess } from '../backends/types.js';
import { MaestroError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { addSecretsFrom } from '../secrets.js';
import type { ProjectConfig } from './config.js';
import { priced } from './pricing.js';
import { mailText, systemInstructions } from './prompt.js';
import { findAgentProcesses, stopAgentProcesses } from './agent-processes.js';
import { HOST, SELF_OWNER, ownedHere, runElsewhere, startToken } from './liveness.js';
import { IDLE_STOP, isInTurn, statusFromEvent } from './status.js';
import { agentDir, openTranscript, type Transcript } from './transcript.js';
import { workerEnv } from './worker-env.js';

export interface SupervisorDeps {
  agents: AgentStore;
  bus: MessageStore;
  backends: BackendRegistry;
  config: ProjectConfig;
  logger: Logger;
  /** The store's change notices: mail for a running worker is looked for at each. */
  changes: Notifier;
  dataDir: string;
  dbFile: string;
  /** How a worker starts its own maestro-tools server. */
  server: { command: string; args: string[] };
  /** The server's environment: workers get only its allow-listed part (see worker-env.ts). */
  env: NodeJS.ProcessEnv;
}

interface Live {
  agentId: string;
  backend: Backend;
  process: WorkerProcess;
  /** The turn this process is running or last ran. */
  turn: number;
  turnOpen: boolean;
  transcript: Transcript;
  turnTimer: NodeJS.Timeout | null;
  idleTimer: NodeJS.Timeout | null;
  /** Why the process is being stopped, for the record of a turn it cuts short. */
  stopReason: string | null;
  /** The end of this process's chain of work: its events, and mail handed to it, in order. */
  chain: Promise<void>;
  /** Ids of messages handed to this process mid-turn and not yet asked about (see deliverMail). */
  injected: Set<string>;
}

/** Input for a running turn: whether there is some, and taking it (marked delivered as it is taken). */
export interface Inbox {
  has(agent: AgentRecord): Promise<boolean>;
  take(agent: AgentRecord): Promise<Delivery | null>;
}

/** Text handed to a worker, and the bus messages in it (for send_message's `injected`). */
export interface Delivery {
  text: string;
  messageIds: string[];
}

/** How many ids of mail handed over mid-turn a process remembers for send_message to ask about. */
const INJECTED_KEPT = 1000;

export const NO_PROCESS = {
  pid: null,
  pid_start: null,
  owner_pid: null,
  owner_start: null,
  owner_host: null,
  owner_server: null,
} as const;

export class Supervisor {
  private readonly live = new Map<string, Live>();
  /** Every agent a process was started for here: what they left behind is stopped with the server. */
  private readonly ran = new Set<string>();
  /** Set once this server has run a worker: only then is the database watched (for mail and control requests). */
  private unwatch: (() => void) | null = null;
  /** Called at each foreign change once this server has run a worker (ops/agents/control-requests.ts). */
  private controlListener: (() => void) | null = null;
  private turnListener: ((agentId: string) => void) | null = null;
  private stopping = false;
  /** Set by a `maestro host`: it serves requests for its machine's agents before it has run any. */
  private watchingAlways = false;
  /** Per agent, the last turn start still being recorded: the next one starts after it. */
  private readonly starting = new Map<string, Promise<unknown>>();
  private readonly inboxes = new Map<string, Inbox>();

  constructor(private readonly deps: SupervisorDeps) {}

  backend(name: string): Backend {
    return this.deps.backends(name);
  }

  owns(agentId: string): boolean {
    return this.live.has(agentId);
  }

  liveCount(): number {
    return this.live.size;
  }

  /** The agents whose processes this server runs now. */
  liveAgentIds(): string[] {
    return [...this.live.keys()];
  }

  /** `listener` is called at every change another process makes, once this server has run a worker. */
  onChangeWhileOwning(listener: () => void): void {
    this.controlListener = listener;
  }

  /** Watches the database from now on, as a server does from its first worker (a host, for requests). */
  watchAlways(): void {
    this.watchingAlways = true;
    this.syncWatch();
  }

  /** `listener` is called once the end of each turn of an agent this server runs is recorded. */
  onTurnEnded(listener: (agentId: string) => void): void {
    this.turnListener = listener;
  }

  /**
   * Starts `text` as the agent's next turn now, or — when its process is busy with a turn — queues
   * it in the store as a turn after. `record` is what the turn is recorded as (the task without
   * maestro's framing); `followupId` names the queued follow-up this turn runs.
   */
  runTurn(
    agent: AgentRecord,
    text: string,
    record = text,
    followupId?: number,
  ): Promise<{ queued: boolean; agent: AgentRecord }> {
    const prior = this.starting.get(agent.id);
    const start = () => this.startTurn(agent, text, record, followupId);
    const run = prior ? prior.then(start, start) : start();
    const settled = run.catch(() => undefined);
    this.starting.set(agent.id, settled);
    void settled.then(() => {
      if (this.starting.get(agent.id) === settled) this.starting.delete(agent.id);
    });
    return run;
  }

  private async startTurn(
    agent: AgentRecord,
    text: string,
    record: string,
    followupId: number | undefined,
  ): Promise<{ queued: boolean; agent: AgentRecord }> {
    if (this.stopping) throw new MaestroError('unavailable', 'the maestro server is stopping');
    if (this.live.get(agent.id)?.turnOpen) {
      // A queued follow-up whose turn cannot start yet stays queued where it is.
      if (followupId === undefined) await this.deps.agents.queueFollowup(agent.id, { text, task: record });
      return { queued: true, agent };
    }
    const { limits } = this.deps.config.config;
    const began = await this.deps.agents.beginTurn(agent.id, record, {
      maxOpenAgents: limits.max_open_agents,
      timeoutMs: limits.turn_timeout_ms,
      ...(followupId === undefined ? {} : { followupId }),
    });
    if (!began.ok) {
      throw new MaestroError(
        'conflict',
        began.reason === 'not_found'
          ? `agent ${agent.id} not found`
          : `${agent.task_name} is ${began.from}; it cannot start a turn`,
      );
    }
    const current = began.agent;
    // Read again: the process may have exited while the start was being recorded.
    const live = this.live.get(agent.id);
    if (live && live.process.canTakeTurn()) {
      this.clearIdle(live);
      live.turn = current.turn;
      live.turnOpen = true;
      live.transcript.append('turn', `${current.turn} ${record}`);
      live.process.nextTurn(text);
      this.armTurnTimer(live);
    } else {
      await this.launch(current, text);
    }
    return { queued: false, agent: (await this.deps.agents.get(agent.id))! };
  }

  /**
   * Hands unread mail to the running worker if it can take it mid-turn; says what became of
   * message `messageId`: injected (now, or already by the mail watcher that saw it commit) or queued.
   */
  async deliverMail(agent: AgentRecord, messageId: string): Promise<'injected' | 'queued'> {
    const live = this.live.get(agent.id);
    if (!live?.turnOpen || !live.backend.capabilities.midTurnInput) return 'queued';
    await this.enqueue(live, () => this.handMail(live, agent), 'queued' as const);
    return live.injected.delete(messageId) ? 'injected' : 'queued';
  }

  /** Runs `work` after everything queued for this process; a failure is logged, and gives `fallback`. */
  private enqueue<T>(live: Live, work: () => Promise<T>, fallback: T): Promise<T> {
    const run = live.chain.then(work).catch((error: unknown) => {
      this.deps.logger.error({ agent: live.agentId, err: error }, 'handling a worker event failed');
      return fallback;
    });
    live.chain = run.then(() => undefined);
    return run;
  }

  /**
   * Where the agent's mid-turn input comes from: its mailbox, unless another inbox was set for
   * it (the lead of `maestro team` also takes its news there: ops/team/inbox.ts).
   */
  setInbox(agentId: string, inbox: Inbox | null): void {
    if (inbox) this.inboxes.set(agentId, inbox);
    else this.inboxes.delete(agentId);
  }

  private readonly mailbox: Inbox = {
    has: async (agent) => ((await this.deps.bus.mailboxStatus(agent.session_id, agent.task_name))[0]?.unread ?? 0) > 0,
    take: async (agent) => {
      const mail = await this.deps.bus.readMailbox(agent.session_id, agent.task_name, 100);
      return mail.length ? { text: mailText(mail), messageIds: mail.map((m) => m.id) } : null;
    },
  };

  /** On the process's chain: the worker's state cannot change while this runs. */
  private async handMail(live: Live, agent: AgentRecord): Promise<'injected' | 'queued'> {
    if (!live.turnOpen || !live.backend.capabilities.midTurnInput) return 'queued';
    const inbox = this.inboxes.get(agent.id) ?? this.mailbox;
    if (!(await inbox.has(agent))) return 'queued';
    // Taking marks it delivered: only take it when the worker can receive it now.
    if (!live.turnOpen || !live.process.canInject()) return 'queued';
    const delivery = await inbox.take(agent);
    if (!delivery) return 'queued';
    live.process.inject(delivery.text);
    live.transcript.append('mail', delivery.text);
    for (const id of delivery.messageIds) live.injected.add(id);
    // Mail logged with team_msg is never asked about: only the newest ids are kept (oldest go first).
    for (const id of live.injected) {
      if (live.injected.size <= INJECTED_KEPT) break;
      live.injected.delete(id);
    }
    return 'injected';
  }

  /** Ends the running turn and drops the follow-ups queued behind it; the agent stays open. Returns the status before. */
  async interrupt(agent: AgentRecord): Promise<string> {
    await this.deps.agents.dropFollowups(agent.id, 'interrupted');
    const live = this.live.get(agent.id);
    if (live?.turnOpen) {
      live.process.interrupt();
      return 'running';
    }
    if (agent.status === 'running')
      await this.deps.agents.endTurn(agent.id, agent.turn, { status: 'interrupted', error: 'interrupted' });
    return agent.status;
  }

  /**
   * Stops the agent's process (if this server runs it), then every other process still carrying
   * its marker, whichever server started it and whatever group it is in; waits until all are gone.
   */
  async stop(agentId: string, reason: string): Promise<void> {
    const live = this.live.get(agentId);
    if (live) {
      live.stopReason = reason;
      await live.process.stop(this.deps.config.config.limits.stop_grace_ms);
      // Its exit is handled (the turn's end and the cleared pid recorded) before the stop returns.
      await live.chain;
    }
    await this.stopMarked(agentId);
  }

  /**
   * Stops every worker this server started, and what the workers it ran left behind (unless
   * another server runs that agent now); their agents stay open and resume on a follow-up, and
   * follow-ups queued for them stay queued for the next server.
   */
  async shutdown(reason = 'the maestro server stopped'): Promise<void> {
    this.stopping = true;
    this.unwatch?.();
    this.unwatch = null;
    const done = [...this.ran].filter((id) => !this.live.has(id));
    await Promise.all([
      ...[...this.live.keys()].map((id) => this.stop(id, reason)),
      ...done.map(async (id) => {
        const agent = await this.deps.agents.get(id);
        // Found once only: another server could start a new turn of it meanwhile.
        if (agent && !runElsewhere(agent)) await this.stopMarked(id, false);
      }),
    ]);
  }

  /** With `again`, what they started during the grace period is found and killed too. */
  private async stopMarked(agentId: string, again = true): Promise<void> {
    const marked = () => findAgentProcesses(this.deps.dbFile, new Set([agentId]));
    await stopAgentProcesses(marked(), this.deps.config.config.limits.stop_grace_ms, again ? marked : undefined);
  }

  /** When a worker exits, what it started outside its own process group is stopped too. */
  private async stopEscaped(live: Live): Promise<void> {
    const agent = await this.deps.agents.get(live.agentId);
    if (!agent || runElsewhere(agent)) return;
    // Its own group is stopped by backends/process.ts; a next turn may already run in a new one.
    const groups = new Set([live.process.pid, this.live.get(live.agentId)?.process.pid]);
    const escaped = findAgentProcesses(this.deps.dbFile, new Set([live.agentId])).filter((p) => !groups.has(p.pgid));
    if (escaped.length === 0) return;
    this.deps.logger.info({ agent: live.agentId, pids: escaped.map((p) => p.pid) }, 'stopping what the worker left');
    void stopAgentProcesses(escaped, this.deps.config.config.limits.stop_grace_ms).catch((error: unknown) =>
      this.deps.logger.warn({ agent: live.agentId, err: error }, 'stopping what the worker left failed'),
    );
  }

  private async launch(agent: AgentRecord, text: string): Promise<void> {
    const backend = this.deps.backends(agent.backend);
    const dir = agentDir(this.deps.dataDir, agent.id);
    const transcript = openTranscript(dir);
    transcript.append('turn', `${agent.turn} ${agent.last_task_message ?? ''}`);
    const resumeSessionId = backend.capabilities.resume ? agent.backend_session_id : null;
    let spec: LaunchSpec;
    let process: WorkerProcess;
    const live: Live = {
      agentId: agent.id,
      backend,
      process: undefined as unknown as WorkerProcess,
      turn: agent.turn,
      turnOpen: true,
      transcript,
      turnTimer: null,
      idleTimer: null,
      stopReason: null,
      chain: Promise.resolve(),
      injected: new Set(),
    };
    // This server is recorded as the agent's owner before its worker exists: a maestro process
    // started below it can then tell a worker still being recorded from no worker (identity.ts).
    if (!ownedHere(agent))
      await this.deps.agents.setProcess(agent.id, { pid: agent.pid, pid_start: agent.pid_start, ...SELF_OWNER });
    // The process's events are handled only once its pid is recorded (below), as they always were.
    let recordedPid!: () => void;
    live.chain = new Promise<void>((resolve) => (recordedPid = resolve));
    try {
      spec = await this.launchSpec(agent, dir);
      process = backend.launch(spec, { text, resumeSessionId }, (event) => this.onEvent(live, event));
    } catch (error) {
      this.deps.logger.warn({ agent: agent.id, err: error }, 'launch failed');
      await this.deps.agents.endTurn(agent.id, agent.turn, { status: 'errored', error: errorMessage(error) });
      return;
    }
    live.process = process;
    this.live.set(agent.id, live);
    this.ran.add(agent.id);
    const recorded = this.deps.agents.setProcess(agent.id, {
      pid: process.pid ?? null,
      pid_start: process.pid === undefined ? null : startToken(process.pid),
      ...SELF_OWNER,
    });
    recorded.then(recordedPid, recordedPid);
    this.armTurnTimer(live);
    this.syncWatch();
    this.deps.logger.info(
      { agent: agent.id, task: agent.task_name, backend: agent.backend, pid: process.pid },
      'worker started',
    );
    await recorded;
  }

  private async launchSpec(agent: AgentRecord, dir: string): Promise<LaunchSpec> {
    const type = this.deps.config.agentType(agent.agent_type);
    const roleInstructions = type.instructions
      ? readFileSync(path.resolve(this.deps.config.projectRoot, type.instructions), 'utf8')
      : null;
    const parent = agent.parent_id
      ? ((await this.deps.agents.get(agent.parent_id))?.task_name ?? 'its parent')
      : 'the coordinator';
    const identity = {
      MAESTRO_DB: this.deps.dbFile,
      // A database URL says nothing of where the project's files are: the worker's server is told.
      MAESTRO_DATA_DIR: this.deps.dataDir,
      // The machine its processes are recorded under, as its supervisor's (liveness.ts).
      MAESTRO_HOST: HOST,
      MAESTRO_AGENT_ID: agent.id,
      MAESTRO_SESSION: agent.session_id,
    };
    // Only what a worker needs (worker-env.ts); identity is added last, so nothing overrides it.
    const inherited = workerEnv(this.deps.env, this.deps.config.config.worker_env);
    // Whatever the worker prints is scrubbed of its keys.
    addSecretsFrom(inherited);
    const command =
      agent.backend === 'command'
        ? agent.command
          ? (JSON.parse(agent.command) as string[])
          : (type.command ?? [])
        : this.deps.config.executable(agent.backend as 'claude' | 'codex');
    return {
      agentId: agent.id,
      taskName: agent.task_name,
      cwd: agent.cwd,
      model: agent.model,
      reasoningEffort: agent.reasoning_effort,
      instructions: systemInstructions(agent, roleInstructions, parent),
      mcp: { ...this.deps.server, env: { ...identity, MAESTRO_LOG_FILE: path.join(dir, 'server.log') } },
      env: { ...inherited, ...identity },
      stopGraceMs: this.deps.config.config.limits.stop_grace_ms,
      agentDir: dir,
      settings: { command, permissionMode: type.permission_mode, allowedTools: type.allowed_tools },
    };
  }

  /** Usage with its cost: Codex reports only tokens, which the configuration's pricing turns into dollars. */
  private async costed(agentId: string, usage: Usage | null, model: string | null): Promise<Usage | null> {
    if (!usage || usage.cost_usd > 0) return usage;
    const agent = await this.deps.agents.get(agentId);
    if (agent?.backend !== 'codex') return usage;
    return priced(usage, this.deps.config.price(model ?? agent.model));
  }

  /** Called by the backend; handled in order on the process's chain. */
  private onEvent(live: Live, event: BackendEvent): void {
    void this.enqueue(live, () => this.handle(live, event), undefined);
  }

  private async handle(live: Live, event: BackendEvent): Promise<void> {
    const { agents, logger } = this.deps;
    try {
      switch (event.kind) {
        case 'session':
          await agents.setBackendSession(live.agentId, event.id);
          return;
        case 'activity':
          live.transcript.append('out', event.text);
          return;
        case 'input_window': {
          const agent = await agents.get(live.agentId);
          if (agent) await this.handMail(live, agent);
          return;
        }
        case 'turn_end': {
          const ending = statusFromEvent(event, live);
          if (!ending) return;
          this.clearTurnTimer(live);
          if (event.result) await agents.report(live.agentId, event.result);
          const { status, error } = ending;
          await agents.endTurn(live.agentId, live.turn, {
            status,
            final_message: event.final_message,
            error,
            usage: await this.costed(live.agentId, event.usage, event.model ?? null),
          });
          // Only once the ending is recorded: if writing it failed, the exit below still ends the turn.
          live.turnOpen = false;
          live.transcript.append('end', `${live.turn} ${status}${error ? `: ${error}` : ''}`);
          this.turnListener?.(live.agentId);
          await this.afterTurn(live);
          return;
        }
        case 'exit': {
          await this.stopEscaped(live);
          this.clearTurnTimer(live);
          this.clearIdle(live);
          // A later turn may already run in a newer process: only the current one's record is cleared.
          // The agent stays this server's: its next turns run here while this server lives.
          if (this.live.get(live.agentId) === live) {
            this.live.delete(live.agentId);
            await agents.setProcess(live.agentId, { pid: null, pid_start: null, ...SELF_OWNER });
          }
          const ending = statusFromEvent(event, live);
          if (ending) {
            live.turnOpen = false;
            await agents.endTurn(live.agentId, live.turn, ending);
            live.transcript.append('end', `${live.turn} ${ending.status}: ${ending.error}`);
            this.turnListener?.(live.agentId);
          }
          live.transcript.append('exit', event.error ?? `${event.signal ?? `code ${event.code}`}`);
          await this.runQueued(live.agentId);
          return;
        }
      }
    } catch (error) {
      logger.error({ agent: live.agentId, event: event.kind, err: error }, 'handling a worker event failed');
    }
  }

  /**
   * Starts the agent's oldest queued follow-up, if it has one and can run it now; says whether
   * one was there. One that cannot start for good (a limit, a closed agent) is dropped with the
   * reason, in the feed; one another server started first is that server's.
   */
  async runQueued(agentId: string): Promise<boolean> {
    if (this.stopping) return false;
    const [next] = await this.deps.agents.followups(agentId);
    if (!next) return false;
    const agent = await this.deps.agents.get(agentId);
    if (!agent) return false;
    try {
      await this.runTurn(agent, next.text, next.task, next.id);
    } catch (error) {
      // Refused as a conflict: another server started it first, or a turn is open that will
      // take it when it ends. Either way it is not this server's to drop.
      if (this.stopping || (error instanceof MaestroError && error.code === 'conflict')) return true;
      this.deps.logger.warn({ agent: agentId, err: error }, 'a queued follow-up could not start');
      await this.deps.agents.dropFollowups(agentId, `it could not start: ${errorMessage(error)}`);
    }
    return true;
  }

  private async afterTurn(live: Live): Promise<void> {
    if (await this.runQueued(live.agentId)) return;
    if (this.stopping || !this.live.has(live.agentId)) return;
    // A persistent worker waits for its next turn, but not for ever.
    if (live.process.canTakeTurn()) this.armIdle(live);
  }

  private armIdle(live: Live): void {
    live.idleTimer = setTimeout(() => void this.idleStop(live), this.deps.config.config.limits.idle_timeout_ms);
    live.idleTimer.unref();
  }

  /** Lets an idle process go, unless its own workers are still at work: their server lives in it. */
  private async idleStop(live: Live): Promise<void> {
    live.idleTimer = null;
    if (live.turnOpen || this.live.get(live.agentId) !== live) return;
    const agent = await this.deps.agents.get(live.agentId);
    const children = agent ? await this.deps.agents.children(agent.session_id, agent.id) : [];
    if (live.turnOpen || this.live.get(live.agentId) !== live) return;
    if (children.some((child) => isInTurn(child.status))) {
      this.armIdle(live);
      return;
    }
    live.stopReason = IDLE_STOP;
    void live.process.stop(this.deps.config.config.limits.stop_grace_ms);
  }

  private armTurnTimer(live: Live): void {
    this.clearTurnTimer(live);
    const limit = this.deps.config.config.limits.turn_timeout_ms;
    live.turnTimer = setTimeout(() => {
      live.stopReason = `timed out after ${limit} ms`;
      void live.process.stop(this.deps.config.config.limits.stop_grace_ms);
    }, limit);
    live.turnTimer.unref();
  }

  private clearTurnTimer(live: Live): void {
    if (live.turnTimer) clearTimeout(live.turnTimer);
    live.turnTimer = null;
  }

  private clearIdle(live: Live): void {
    if (live.idleTimer) clearTimeout(live.idleTimer);
    live.idleTimer = null;
  }

  /**
   * Watches the database from this server's first worker on (the agents it ran stay its own while
   * it lives): for mail to hand to a turn that can take it mid-turn, and for control requests
   * other servers address to this one.
   */
  private syncWatch(): void {
    const needed = (this.ran.size > 0 || this.watchingAlways) && !this.stopping;
    if (needed && !this.unwatch) {
      this.unwatch = this.deps.changes.subscribe(({ foreign }) => {
        this.deliverPendingMail();
        // Requests come only from other processes.
        if (foreign) this.controlListener?.();
      });
      // A request may have been written before this watch began (the agent was already recorded as ours).
      this.controlListener?.();
    } else if (!needed && this.unwatch) {
      this.unwatch();
      this.unwatch = null;
    }
  }

  private deliverPendingMail(): void {
    for (const live of this.live.values()) {
      if (!live.turnOpen || !live.backend.capabilities.midTurnInput) continue;
      void this.enqueue(
        live,
        async () => {
          const agent = await this.deps.agents.get(live.agentId);
          if (agent) await this.handMail(live, agent);
        },
        undefined,
      );
    }
  }
}
