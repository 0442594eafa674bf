/**
 * The `command` backend: any executable as a worker. Each turn runs the configured argv once,
 * with the task on stdin and in MAESTRO_TASK; stdout lines are its transcript. A final line that
 * is a JSON object is its result; otherwise exit code 0 means completed and anything else errored.
 * Non-LLM steps (tests, linters) join a pipeline this way, and tests get a fast, exact worker.
 */
import { startProcess } from './process.js';
import type { Backend, BackendEvent, LaunchSpec, TurnInput, WorkerProcess } from './types.js';

function parseResult(line: string | undefined): Record<string, unknown> | undefined {
  if (!line?.trim().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const commandBackend: Backend = {
  name: 'command',
  capabilities: { persistent: false, midTurnInput: false, resume: false, forkTurns: false },

  launch(spec: LaunchSpec, turn: TurnInput, emit: (event: BackendEvent) => void): WorkerProcess {
    let lastLine: string | undefined;
    let interrupted = false;
    const child = startProcess(spec.settings.command, {
      cwd: spec.cwd,
      env: { ...spec.env, MAESTRO_TASK: turn.text },
      stdin: 'pipe',
      leftoverGraceMs: spec.stopGraceMs,
      onStdoutLine: (line) => {
        if (!line.trim()) return;
        lastLine = line;
        emit({ kind: 'activity', text: line });
      },
    });
    child.write(turn.text);
    child.closeStdin();

    void child.exited.then((exit) => {
      const result = parseResult(lastLine);
      const finalMessage = result ? null : (lastLine ?? null);
      if (exit.error) {
        emit({ kind: 'turn_end', outcome: 'errored', final_message: null, error: exit.error, usage: null });
      } else if (interrupted) {
        emit({
          kind: 'turn_end',
          outcome: 'interrupted',
          final_message: finalMessage,
          error: 'interrupted',
          usage: null,
        });
      } else if (exit.code === 0) {
        emit({
          kind: 'turn_end',
          outcome: 'completed',
          final_message: finalMessage,
          error: null,
          usage: null,
          ...(result ? { result } : {}),
        });
      } else {
        const why = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
        const detail = child.stderrTail().split('\n').slice(-3).join(' | ').slice(0, 500);
        emit({
          kind: 'turn_end',
          outcome: 'errored',
          final_message: finalMessage,
          error: detail ? `${why}: ${detail}` : why,
          usage: null,
        });
      }
      emit({ kind: 'exit', code: exit.code, signal: exit.signal, error: exit.error });
    });

    return {
      pid: child.pid,
      canTakeTurn: () => false,
      nextTurn: () => {
        throw new Error('the command backend runs one turn per process');
      },
      canInject: () => false,
      inject: () => false,
      interrupt: () => {
        interrupted = true;
        child.signalGroup('SIGTERM');
      },
      stop: async (graceMs) => {
        interrupted = true;
        await child.stop(graceMs, () => child.signalGroup('SIGTERM'));
      },
    };
  },
};
