/**
 * The `codex` backend: `codex app-server`, JSON-RPC on stdio, one process per open agent. The
 * process is initialized, opens the agent's thread (`thread/start`, or `thread/resume` when an
 * earlier process has gone) and runs each turn with `turn/start`; mail for a running turn is
 * steered into it (`turn/steer`, which names the turn it expects) and an interrupt is
 * `turn/interrupt`. Workers run with approval policy "never", maestro's tools approved
 * (codex-config.ts); a request for approval that still comes is declined, never left waiting.
 * Invariant: at most one turn is open per process, and it always ends with one `turn_end`.
 */
import { VERSION } from '../version.js';
import { codexServerOverrides, stderrDetail, toml } from './codex-config.js';
import { createCodexTurnReader } from './codex-events.js';
import { createRpcPeer, type RequestAnswer } from './codex-rpc.js';
import { asObject, asText, startProcess } from './process.js';
import type { Backend, BackendEvent, LaunchSpec, TurnInput, WorkerProcess } from './types.js';

export function appServerArgs(spec: LaunchSpec): string[] {
  return [
    ...spec.settings.command,
    'app-server',
    ...codexServerOverrides(spec),
    ...(spec.model ? ['-c', `model=${toml(spec.model)}`] : []),
  ];
}

const textInput = (text: string) => [{ type: 'text', text, text_elements: [] }];

/** What maestro answers when codex asks for a decision: no, so the worker carries on. */
function decline(method: string): RequestAnswer {
  switch (method) {
    case 'item/commandExecution/requestApproval':
    case 'item/fileChange/requestApproval':
      return { result: { decision: 'decline' } };
    case 'mcpServer/elicitation/request':
      return { result: { action: 'decline', content: null, _meta: null } };
    default:
      return { error: { code: -32601, message: `maestro does not answer ${method}: a worker runs unattended` } };
  }
}

export const codexAppServerBackend: Backend = {
  name: 'codex',
  capabilities: { persistent: true, midTurnInput: true, resume: true, forkTurns: false },

  launch(spec: LaunchSpec, turn: TurnInput, emit: (event: BackendEvent) => void): WorkerProcess {
    const reader = createCodexTurnReader(emit);
    let threadId: string | null = null;
    let interruptOnStart = false;
    /** Steered text codex refused because its turn had just ended: it opens the next turn. */
    const carried: string[] = [];

    const rpc = createRpcPeer({
      send: (line) => child.write(line),
      onNotification: (method, params) => reader.notification(method, params),
      onRequest: (method) => {
        emit({ kind: 'activity', text: `declined codex's ${method}` });
        return decline(method);
      },
      onMalformed: (line) => emit({ kind: 'activity', text: line }),
    });

    const child = startProcess(appServerArgs(spec), {
      cwd: spec.cwd,
      env: spec.env,
      stdin: 'pipe',
      leftoverGraceMs: spec.stopGraceMs,
      onStdoutLine: (line) => rpc.receive(line),
    });

    const interruptNow = (turnId: string) => {
      void rpc.request('turn/interrupt', { threadId, turnId }).catch(() => {
        // the turn ended first: its end is reported anyway
      });
    };

    const startTurn = async (text: string) => {
      const response = await rpc.request('turn/start', { threadId, input: textInput(text) });
      const turnId = asText(asObject(asObject(response)?.turn)?.id);
      if (!turnId) throw new Error('turn/start answered without a turn id');
      reader.started(turnId);
      if (interruptOnStart) {
        interruptOnStart = false;
        interruptNow(turnId);
      }
    };

    const failTurn = (what: string, error: unknown) => {
      // When the process is gone, its exit ends the turn, with what it printed on stderr.
      if (!child.running()) return;
      reader.fail(`${what}: ${(error as Error).message}`);
    };

    reader.open();
    void (async () => {
      try {
        await rpc.request('initialize', {
          clientInfo: { name: 'maestro', title: 'maestro', version: VERSION },
          capabilities: null,
        });
        rpc.notify('initialized');
        const common = { cwd: spec.cwd, approvalPolicy: 'never' };
        const opened = turn.resumeSessionId
          ? await rpc.request('thread/resume', { threadId: turn.resumeSessionId, ...common, excludeTurns: true })
          : // Codex has no flag to add to its system prompt; a thread's developer instructions are the place.
            await rpc.request('thread/start', { ...common, developerInstructions: spec.instructions });
        const id = asText(asObject(asObject(opened)?.thread)?.id);
        if (!id) throw new Error('no thread id in the answer');
        threadId = id;
        reader.thread(id, asText(asObject(opened)?.model));
      } catch (error) {
        failTurn(
          turn.resumeSessionId ? `codex could not resume thread ${turn.resumeSessionId}` : 'codex could not start',
          error,
        );
        // Without a thread this process can do nothing: let it go (a next turn starts a new one).
        if (child.running()) void child.stop(spec.stopGraceMs, () => child.closeStdin());
        return;
      }
      await startTurn(turn.text).catch((error) => failTurn('codex could not start the turn', error));
    })();

    void child.exited.then((exit) => {
      rpc.close('codex exited');
      const how = `codex exited (${exit.signal ?? `code ${exit.code}`})`;
      const detail = stderrDetail(child.stderrTail());
      reader.fail(exit.error ?? `${how} before the turn completed${detail ? `: ${detail}` : ''}`);
      const error =
        exit.error ?? (exit.code !== 0 && exit.signal === null ? `${how}${detail ? `: ${detail}` : ''}` : null);
      emit({ kind: 'exit', code: exit.code, signal: exit.signal, error });
    });

    return {
      pid: child.pid,
      canTakeTurn: () => child.running() && threadId !== null && !reader.turnOpen(),
      nextTurn(text) {
        reader.open();
        const input = [...carried.splice(0), text].join('\n\n');
        void startTurn(input).catch((error) => failTurn('codex could not start the turn', error));
      },
      canInject: () => child.running() && threadId !== null && reader.turnId() !== null,
      inject(text) {
        const expectedTurnId = reader.turnId();
        if (!child.running() || threadId === null || expectedTurnId === null) return false;
        void rpc.request('turn/steer', { threadId, expectedTurnId, input: textInput(text) }).catch((error) => {
          carried.push(text);
          emit({
            kind: 'activity',
            text: `codex did not take a message mid-turn (${(error as Error).message}); it opens the next turn`,
          });
        });
        return true;
      },
      interrupt() {
        if (!reader.turnOpen()) return;
        reader.interrupting();
        const turnId = reader.turnId();
        if (turnId && threadId) interruptNow(turnId);
        else interruptOnStart = true;
      },
      stop: async (graceMs) => {
        await child.stop(graceMs, () => child.closeStdin());
      },
    };
  },
};
