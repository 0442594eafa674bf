/**
 * The one interface every agent CLI adapter implements. A backend launches a worker process for
 * a turn and turns what the process prints into `BackendEvent`s; what it can do beyond that is
 * declared as data in `capabilities`, never as optional methods.
 */
import type { Usage } from '../agents/records.js';

export const BACKEND_NAMES = ['claude', 'codex', 'command'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** How the codex backend talks to Codex (src/backends/codex.ts); the first is the default. */
export const CODEX_TRANSPORTS = ['app-server', 'exec'] as const;
export type CodexTransport = (typeof CODEX_TRANSPORTS)[number];

export interface BackendCapabilities {
  /** The process lives across turns: a next turn is written to it. */
  persistent: boolean;
  /** A message can join a running turn (delivered between tool calls). */
  midTurnInput: boolean;
  /** After the process is gone, the conversation continues from the backend's own session id. */
  resume: boolean;
  /** A new agent can start from a copy of its parent's conversation. */
  forkTurns: boolean;
}

/** Token counts of a turn, as the backend reported them (defined once, in agents/records.ts). */
export type { Usage };

export type BackendEvent =
  /** The backend's own session or thread id, as soon as it is known. */
  | { kind: 'session'; id: string }
  /** Something the worker said or did, for the transcript and progress displays. */
  | { kind: 'activity'; text: string }
  /** Text injected now would join the running turn (a tool call is under way). */
  | { kind: 'input_window' }
  /** The turn is over. */
  | {
      kind: 'turn_end';
      outcome: 'completed' | 'errored' | 'interrupted';
      final_message: string | null;
      error: string | null;
      usage: Usage | null;
      /** The model that answered, when the backend names it (to price tokens a backend reports no cost for). */
      model?: string | null;
      /** A structured result the process produced itself (the command backend's final JSON line). */
      result?: Record<string, unknown>;
    }
  /** The process is gone; `error` explains an exit that was not asked for. */
  | { kind: 'exit'; code: number | null; signal: string | null; error: string | null };

/** Everything a backend needs to start a worker. */
export interface LaunchSpec {
  agentId: string;
  taskName: string;
  cwd: string;
  model: string | null;
  reasoningEffort: string | null;
  /** Role instructions, added to the worker's system prompt where the CLI allows. */
  instructions: string;
  /** How the worker reaches the maestro-tools MCP server as itself. */
  mcp: { command: string; args: string[]; env: Record<string, string> };
  /** Environment for the worker process (already filtered). */
  env: Record<string, string>;
  /** How long a stopped process (and what it leaves behind) gets before SIGKILL. */
  stopGraceMs: number;
  /** Where this agent's files live: transcript, MCP config. */
  agentDir: string;
  /** Backend-specific settings from the agent type: executable, argv, permissions. */
  settings: BackendSettings;
}

export interface BackendSettings {
  /** The CLI to run (claude, codex) or, for `command`, the full argv. */
  command: string[];
  permissionMode?: string | undefined;
  allowedTools?: string[] | undefined;
}

export interface TurnInput {
  /** The text of the turn. */
  text: string;
  /** Continue this backend session in a fresh process (the previous one is gone). */
  resumeSessionId: string | null;
}

/** A running worker process. */
export interface WorkerProcess {
  readonly pid: number | undefined;
  /** Whether a next turn can be written to this same process now. */
  canTakeTurn(): boolean;
  /** Starts the next turn in this process (only when canTakeTurn()). */
  nextTurn(text: string): void;
  /** Whether text injected now would join the running turn (for Claude Code: a tool call is under way). */
  canInject(): boolean;
  /** Adds text to the running turn; false when it cannot (see canInject). */
  inject(text: string): boolean;
  /** Ends the running turn; the agent stays open. */
  interrupt(): void;
  /** Ends the process: politely, then the whole process group after `graceMs`. Resolves when it is gone. */
  stop(graceMs: number): Promise<void>;
}

export interface Backend {
  readonly name: BackendName;
  readonly capabilities: BackendCapabilities;
  /** Starts a process running `turn`; everything it does arrives through `emit`, ending with an `exit` event. */
  launch(spec: LaunchSpec, turn: TurnInput, emit: (event: BackendEvent) => void): WorkerProcess;
}
