/**
 * The `claude` backend: Claude Code headless with stream-json in and out. One process serves
 * the agent's turns while it is open (each turn is a user line on stdin, each ends with a
 * `result` line); when the process has gone, the next turn starts a new one with
 * `--resume=<session id>`. The worker reaches our server through --mcp-config (a file, so its
 * identity is not on the command line) and its role instructions are appended to the system prompt.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { nanoid } from 'nanoid';
import { asNumber, asObject, asText, jsonObject, startProcess } from './process.js';
import type { Backend, BackendEvent, LaunchSpec, TurnInput, Usage, WorkerProcess } from './types.js';

export const MAESTRO_TOOLS = 'mcp__maestro-tools';
const DEFAULT_PERMISSION_MODE = 'acceptEdits';

/** A stream-json line (type, session_id, message.content, result fields): read with the `as…` checks. */
type StreamLine = Record<string, unknown>;
type ContentBlock = Record<string, unknown>;

function userLine(text: string): string {
  return JSON.stringify({
    type: 'user',
    message: { role: 'user', content: text },
    parent_tool_use_id: null,
    session_id: 'default',
  });
}

export function claudeArgs(spec: LaunchSpec, configFile: string, resumeSessionId: string | null): string[] {
  const allowed = [MAESTRO_TOOLS, ...(spec.settings.allowedTools ?? [])];
  return [
    ...spec.settings.command,
    '-p',
    '--input-format',
    'stream-json',
    '--output-format',
    'stream-json',
    '--verbose',
    '--mcp-config',
    configFile,
    '--allowedTools',
    allowed.join(','),
    '--permission-mode',
    spec.settings.permissionMode ?? DEFAULT_PERMISSION_MODE,
    '--append-system-prompt',
    spec.instructions,
    ...(spec.model ? ['--model', spec.model] : []),
    ...(resumeSessionId ? [`--resume=${resumeSessionId}`] : []),
  ];
}

function blocks(line: StreamLine): ContentBlock[] {
  const content = asObject(line.message)?.content;
  return Array.isArray(content) ? content.map(asObject).filter((block): block is ContentBlock => block !== null) : [];
}

export const claudeBackend: Backend = {
  name: 'claude',
  capabilities: { persistent: true, midTurnInput: true, resume: true, forkTurns: false },

  launch(spec: LaunchSpec, turn: TurnInput, emit: (event: BackendEvent) => void): WorkerProcess {
    // Our server for this worker, added to the user's own MCP configuration (not replacing it).
    const configFile = path.join(spec.agentDir, 'mcp.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        mcpServers: {
          'maestro-tools': { type: 'stdio', command: spec.mcp.command, args: spec.mcp.args, env: spec.mcp.env },
        },
      }),
      { mode: 0o600 },
    );

    let turnActive = true;
    let toolsInFlight = 0;
    let interruptRequested = false;
    let lastText: string | null = null;
    let costSoFar = 0;
    let sessionId: string | null = null;

    const onLine = (raw: string) => {
      const line = jsonObject(raw);
      if (!line) {
        emit({ kind: 'activity', text: raw });
        return;
      }
      // Claude Code repeats its init line at every turn: report the session id once.
      const lineSession = asText(line.session_id);
      if (lineSession && lineSession !== sessionId && (line.type === 'system' || line.type === 'result')) {
        sessionId = lineSession;
        emit({ kind: 'session', id: lineSession });
      }
      switch (line.type) {
        case 'assistant':
          for (const block of blocks(line)) {
            const text = asText(block.text);
            if (block.type === 'text' && text) {
              lastText = text;
              emit({ kind: 'activity', text });
            } else if (block.type === 'tool_use') {
              toolsInFlight += 1;
              emit({
                kind: 'activity',
                text: `→ ${asText(block.name)} ${JSON.stringify(block.input ?? {})}`.slice(0, 2000),
              });
            }
          }
          if (toolsInFlight > 0) emit({ kind: 'input_window' });
          return;
        case 'user':
          for (const block of blocks(line))
            if (block.type === 'tool_result') toolsInFlight = Math.max(0, toolsInFlight - 1);
          return;
        case 'result': {
          if (!turnActive) return;
          turnActive = false;
          toolsInFlight = 0;
          const totalCost = asNumber(line.total_cost_usd);
          const cost = totalCost !== undefined ? Math.max(0, totalCost - costSoFar) : 0;
          costSoFar = totalCost ?? costSoFar;
          const tokens = asObject(line.usage) ?? {};
          // As Codex counts them: the cached input is part of the input.
          const cached = asNumber(tokens.cache_read_input_tokens) ?? 0;
          const usage: Usage = {
            input_tokens:
              (asNumber(tokens.input_tokens) ?? 0) + (asNumber(tokens.cache_creation_input_tokens) ?? 0) + cached,
            cached_input_tokens: cached,
            output_tokens: asNumber(tokens.output_tokens) ?? 0,
            cost_usd: cost,
          };
          const failed = line.is_error === true || (line.subtype !== undefined && line.subtype !== 'success');
          const outcome = interruptRequested ? 'interrupted' : failed ? 'errored' : 'completed';
          interruptRequested = false;
          const result = asText(line.result);
          emit({
            kind: 'turn_end',
            outcome,
            final_message: result ?? lastText,
            error:
              outcome === 'completed'
                ? null
                : outcome === 'interrupted'
                  ? 'interrupted'
                  : [asText(line.subtype) ?? 'error', result?.trim()].filter(Boolean).join(': '),
            usage,
          });
          lastText = null;
          return;
        }
        default:
          return;
      }
    };

    const child = startProcess(claudeArgs(spec, configFile, turn.resumeSessionId), {
      cwd: spec.cwd,
      env: spec.env,
      stdin: 'pipe',
      leftoverGraceMs: spec.stopGraceMs,
      onStdoutLine: onLine,
    });
    child.write(userLine(turn.text));

    void child.exited.then((exit) => {
      const stderr = child.stderrTail().split('\n').slice(-3).join(' | ');
      const how = `claude exited (${exit.signal ?? `code ${exit.code}`})`;
      // A turn with no result line ends here, saying why (a stop we asked for is told by the supervisor).
      if (turnActive) {
        turnActive = false;
        emit({
          kind: 'turn_end',
          outcome: 'errored',
          final_message: lastText,
          error: exit.error ?? `${how} before the turn completed${stderr ? `: ${stderr}` : ''}`,
          usage: null,
        });
      }
      const error =
        exit.error ?? (exit.code !== 0 && exit.signal === null ? `${how}${stderr ? `: ${stderr}` : ''}` : null);
      emit({ kind: 'exit', code: exit.code, signal: exit.signal, error });
    });

    return {
      pid: child.pid,
      canTakeTurn: () => child.running() && !turnActive,
      nextTurn(text) {
        turnActive = true;
        child.write(userLine(text));
      },
      canInject: () => child.running() && turnActive && toolsInFlight > 0,
      inject(text) {
        if (!(child.running() && turnActive && toolsInFlight > 0)) return false;
        return child.write(userLine(text));
      },
      interrupt() {
        if (!turnActive) return;
        interruptRequested = true;
        child.write(
          JSON.stringify({ type: 'control_request', request_id: nanoid(), request: { subtype: 'interrupt' } }),
        );
      },
      stop: async (graceMs) => {
        await child.stop(graceMs, () => child.closeStdin());
      },
    };
  },
};
