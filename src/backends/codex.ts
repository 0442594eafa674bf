/**
 * The `codex` backend: `codex exec --json`, one process per turn. The first turn starts a
 * thread; later turns run `codex exec resume <thread_id>`. Our server is added to the user's own
 * Codex configuration with `-c` overrides (their CODEX_HOME and model provider stay as they are),
 * with its tools approved so calls to them are not refused. Codex cannot take input mid-turn, so
 * messages wait for the next turn; an interrupt is SIGINT.
 */
import { startProcess } from './process.js';
import type { Backend, BackendEvent, LaunchSpec, TurnInput, Usage, WorkerProcess } from './types.js';

/** TOML for a `-c key=value` override: JSON strings and arrays of strings are valid TOML. */
const toml = (value: string | string[]) => JSON.stringify(value);
const tomlTable = (entries: Record<string, string>) =>
  `{${Object.entries(entries)
    .map(([k, v]) => `${k} = ${toml(v)}`)
    .join(', ')}}`;

/**
 * Calls to maestro's own tools are approved (exec always runs with approval policy "never", so
 * an unapproved MCP call is refused), and the server is required: otherwise a server slower than
 * about a second to start is silently left out of the first request (test/fixtures/recorded/FACTS.md).
 */
export const CODEX_SERVER_ARGS: string[] = [
  '-c',
  'mcp_servers.maestro-tools.default_tools_approval_mode="approve"',
  '-c',
  'mcp_servers.maestro-tools.required=true',
];

export function codexArgs(spec: LaunchSpec, resumeThreadId: string | null): string[] {
  const server = 'mcp_servers.maestro-tools';
  return [
    ...spec.settings.command,
    'exec',
    '--json',
    '--skip-git-repo-check',
    '-C',
    spec.cwd,
    '-c',
    `${server}.command=${toml(spec.mcp.command)}`,
    '-c',
    `${server}.args=${toml(spec.mcp.args)}`,
    '-c',
    `${server}.env=${tomlTable(spec.mcp.env)}`,
    ...CODEX_SERVER_ARGS,
    ...(spec.model ? ['-m', spec.model] : []),
    ...(spec.reasoningEffort ? ['-c', `model_reasoning_effort=${toml(spec.reasoningEffort)}`] : []),
    ...(resumeThreadId ? ['resume', resumeThreadId] : []),
    '-', // the prompt comes on stdin: never on the command line
  ];
}

interface CodexEvent {
  type?: string;
  thread_id?: string;
  item?: { type?: string; text?: string; message?: string; server?: string; tool?: string; status?: string; command?: string };
  usage?: { input_tokens?: number; cached_input_tokens?: number; output_tokens?: number };
  error?: { message?: string };
  message?: string;
}

export const codexBackend: Backend = {
  name: 'codex',
  capabilities: { persistent: false, midTurnInput: false, resume: true, forkTurns: false },

  launch(spec: LaunchSpec, turn: TurnInput, emit: (event: BackendEvent) => void): WorkerProcess {
    let lastMessage: string | null = null;
    let ended = false;
    let interrupted = false;
    let failure: string | null = null;

    const end = (outcome: 'completed' | 'errored' | 'interrupted', error: string | null, usage: Usage | null) => {
      if (ended) return;
      ended = true;
      emit({ kind: 'turn_end', outcome, final_message: lastMessage, error, usage });
    };

    const onLine = (raw: string) => {
      let event: CodexEvent;
      try {
        event = JSON.parse(raw) as CodexEvent;
      } catch {
        emit({ kind: 'activity', text: raw });
        return;
      }
      switch (event.type) {
        case 'thread.started':
          if (event.thread_id) emit({ kind: 'session', id: event.thread_id });
          return;
        case 'item.completed': {
          const item = event.item ?? {};
          if (item.type === 'agent_message' && item.text) {
            lastMessage = item.text;
            emit({ kind: 'activity', text: item.text });
          } else if (item.type === 'mcp_tool_call') {
            emit({ kind: 'activity', text: `→ ${item.server}.${item.tool} ${item.status ?? ''}`.trim() });
          } else if (item.type === 'command_execution') {
            emit({ kind: 'activity', text: `$ ${item.command ?? ''}` });
          } else if (item.type === 'error') {
            failure = item.message ?? 'error';
            emit({ kind: 'activity', text: `error: ${failure}` });
          }
          return;
        }
        case 'turn.completed':
          end('completed', null, {
            input_tokens: event.usage?.input_tokens ?? 0,
            cached_input_tokens: event.usage?.cached_input_tokens ?? 0,
            output_tokens: event.usage?.output_tokens ?? 0,
            cost_usd: 0,
          });
          return;
        case 'turn.failed':
          end(interrupted ? 'interrupted' : 'errored', event.error?.message ?? failure ?? 'turn failed', null);
          return;
        case 'error':
          failure = event.message ?? failure;
          return;
        default:
          return;
      }
    };

    const child = startProcess(codexArgs(spec, turn.resumeSessionId), {
      cwd: spec.cwd,
      env: spec.env,
      stdin: 'pipe',
      onStdoutLine: onLine,
    });
    // Codex has no flag to add to its system prompt: a new thread gets the role instructions first.
    child.write(turn.resumeSessionId ? turn.text : `${spec.instructions}\n\n${turn.text}`);
    child.closeStdin();

    void child.exited.then((exit) => {
      if (exit.error) end('errored', exit.error, null);
      else if (interrupted) end('interrupted', 'interrupted', null);
      else {
        const detail = failure ?? child.stderrTail().split('\n').slice(-3).join(' | ');
        end('errored', `codex exited (${exit.signal ?? `code ${exit.code}`}) before the turn completed${detail ? `: ${detail}` : ''}`, null);
      }
      emit({ kind: 'exit', code: exit.code, signal: exit.signal, error: exit.error });
    });

    return {
      pid: child.pid,
      canTakeTurn: () => false,
      nextTurn: () => {
        throw new Error('codex runs one turn per process');
      },
      canInject: () => false,
      inject: () => false,
      interrupt() {
        interrupted = true;
        child.signalGroup('SIGINT');
      },
      stop: async (graceMs) => {
        interrupted = true;
        await child.stop(graceMs, () => child.signalGroup('SIGTERM'));
      },
    };
  },
};
