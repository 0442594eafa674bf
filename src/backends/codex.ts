/**
 * The `codex` backend: `codex exec --json`, one process per turn. The first turn starts a
 * thread; later turns run `codex exec resume <thread_id>`. Our server is added to the user's own
 * Codex configuration with `-c` overrides (their CODEX_HOME and model provider stay as they are),
 * with its tools approved so calls to them are not refused. Codex cannot take input mid-turn, so
 * messages wait for the next turn; an interrupt is SIGINT.
 */
import { asNumber, asObject, asText, jsonObject, startProcess } from './process.js';
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
    // Codex gives MCP servers only a few variables of its own. The worker's server needs the rest
    // of the worker's environment (provider keys, to start workers of its own): passed by name,
    // so no value ever appears on a command line.
    '-c',
    `${server}.env_vars=${toml(Object.keys(spec.env).filter((name) => !(name in spec.mcp.env)))}`,
    ...CODEX_SERVER_ARGS,
    ...(spec.model ? ['-m', spec.model] : []),
    ...(spec.reasoningEffort ? ['-c', `model_reasoning_effort=${toml(spec.reasoningEffort)}`] : []),
    ...(resumeThreadId ? ['resume', resumeThreadId] : []),
    '-', // the prompt comes on stdin: never on the command line
  ];
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
      // An event (type, thread_id, item, usage, error, message): read with the `as…` checks.
      const event = jsonObject(raw);
      if (!event) {
        emit({ kind: 'activity', text: raw });
        return;
      }
      switch (event.type) {
        case 'thread.started': {
          const threadId = asText(event.thread_id);
          if (threadId) emit({ kind: 'session', id: threadId });
          return;
        }
        case 'item.completed': {
          const item = asObject(event.item) ?? {};
          const text = asText(item.text);
          if (item.type === 'agent_message' && text) {
            lastMessage = text;
            emit({ kind: 'activity', text });
          } else if (item.type === 'mcp_tool_call') {
            emit({
              kind: 'activity',
              text: `→ ${asText(item.server)}.${asText(item.tool)} ${asText(item.status) ?? ''}`.trim(),
            });
          } else if (item.type === 'command_execution') {
            emit({ kind: 'activity', text: `$ ${asText(item.command) ?? ''}` });
          } else if (item.type === 'error') {
            failure = asText(item.message) ?? 'error';
            emit({ kind: 'activity', text: `error: ${failure}` });
          }
          return;
        }
        case 'turn.completed': {
          const usage = asObject(event.usage) ?? {};
          end('completed', null, {
            input_tokens: asNumber(usage.input_tokens) ?? 0,
            cached_input_tokens: asNumber(usage.cached_input_tokens) ?? 0,
            output_tokens: asNumber(usage.output_tokens) ?? 0,
            cost_usd: 0,
          });
          return;
        }
        case 'turn.failed':
          end(
            interrupted ? 'interrupted' : 'errored',
            asText(asObject(event.error)?.message) ?? failure ?? 'turn failed',
            null,
          );
          return;
        case 'error':
          failure = asText(event.message) ?? failure;
          return;
        default:
          return;
      }
    };

    const child = startProcess(codexArgs(spec, turn.resumeSessionId), {
      cwd: spec.cwd,
      env: spec.env,
      stdin: 'pipe',
      leftoverGraceMs: spec.stopGraceMs,
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
        end(
          'errored',
          `codex exited (${exit.signal ?? `code ${exit.code}`}) before the turn completed${detail ? `: ${detail}` : ''}`,
          null,
        );
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
