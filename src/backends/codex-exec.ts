/**
 * The `codex` backend's fallback transport (`backends.codex.transport: "exec"`): `codex exec
 * --json`, one process per turn. The first turn starts a thread; later turns run `codex exec
 * resume <thread_id>`. Our server is added as for the app-server (codex-config.ts). `exec` takes
 * no input mid-turn, so messages wait for the next turn; an interrupt is SIGINT.
 */
import { asNumber, asObject, asText, jsonObject, startProcess } from './process.js';
import { codexServerOverrides, stderrDetail } from './codex-config.js';
import type { Backend, BackendEvent, LaunchSpec, TurnInput, Usage, WorkerProcess } from './types.js';

export function codexArgs(spec: LaunchSpec, resumeThreadId: string | null): string[] {
  return [
    ...spec.settings.command,
    'exec',
    '--json',
    '--skip-git-repo-check',
    '-C',
    spec.cwd,
    ...codexServerOverrides(spec),
    ...(spec.model ? ['-m', spec.model] : []),
    ...(resumeThreadId ? ['resume', resumeThreadId] : []),
    '-', // the prompt comes on stdin: never on the command line
  ];
}

export const codexExecBackend: Backend = {
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
        const detail = failure ?? stderrDetail(child.stderrTail());
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
