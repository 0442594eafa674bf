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
import { startProcess } from './process.js';
import type { Backend, BackendEvent, LaunchSpec, TurnInput, Usage, WorkerProcess } from './types.js';

export const MAESTRO_TOOLS = 'mcp__maestro-tools';
const DEFAULT_PERMISSION_MODE = 'acceptEdits';

interface StreamLine {
  type?: string;
  subtype?: string;
  session_id?: string;
  is_error?: boolean;
  result?: string;
  total_cost_usd?: number;
  usage?: { input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
  message?: { content?: unknown };
}

interface ContentBlock {
  type?: string;
  text?: string;
  name?: string;
  input?: unknown;
}

function userLine(text: string): string {
  return JSON.stringify({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: 'default' });
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
  const content = line.message?.content;
  return Array.isArray(content) ? (content as ContentBlock[]) : [];
}

export const claudeBackend: Backend = {
  name: 'claude',
  capabilities: { persistent: true, midTurnInput: true, resume: true, forkTurns: false },

  launch(spec: LaunchSpec, turn: TurnInput, emit: (event: BackendEvent) => void): WorkerProcess {
    // Our server for this worker, added to the user's own MCP configuration (not replacing it).
    const configFile = path.join(spec.agentDir, 'mcp.json');
    writeFileSync(
      configFile,
      JSON.stringify({ mcpServers: { 'maestro-tools': { type: 'stdio', command: spec.mcp.command, args: spec.mcp.args, env: spec.mcp.env } } }),
      { mode: 0o600 },
    );

    let turnActive = true;
    let toolsInFlight = 0;
    let interruptRequested = false;
    let lastText: string | null = null;
    let costSoFar = 0;
    let sessionId: string | null = null;

    const onLine = (raw: string) => {
      let line: StreamLine;
      try {
        line = JSON.parse(raw) as StreamLine;
      } catch {
        emit({ kind: 'activity', text: raw });
        return;
      }
      // Claude Code repeats its init line at every turn: report the session id once.
      if (line.session_id && line.session_id !== sessionId && (line.type === 'system' || line.type === 'result')) {
        sessionId = line.session_id;
        emit({ kind: 'session', id: line.session_id });
      }
      switch (line.type) {
        case 'assistant':
          for (const block of blocks(line)) {
            if (block.type === 'text' && block.text) {
              lastText = block.text;
              emit({ kind: 'activity', text: block.text });
            } else if (block.type === 'tool_use') {
              toolsInFlight += 1;
              emit({ kind: 'activity', text: `→ ${block.name} ${JSON.stringify(block.input ?? {})}`.slice(0, 2000) });
            }
          }
          if (toolsInFlight > 0) emit({ kind: 'input_window' });
          return;
        case 'user':
          for (const block of blocks(line)) if (block.type === 'tool_result') toolsInFlight = Math.max(0, toolsInFlight - 1);
          return;
        case 'result': {
          if (!turnActive) return;
          turnActive = false;
          toolsInFlight = 0;
          const cost = typeof line.total_cost_usd === 'number' ? Math.max(0, line.total_cost_usd - costSoFar) : 0;
          costSoFar = line.total_cost_usd ?? costSoFar;
          const usage: Usage = {
            input_tokens: (line.usage?.input_tokens ?? 0) + (line.usage?.cache_creation_input_tokens ?? 0),
            cached_input_tokens: line.usage?.cache_read_input_tokens ?? 0,
            output_tokens: line.usage?.output_tokens ?? 0,
            cost_usd: cost,
          };
          const failed = line.is_error === true || (line.subtype !== undefined && line.subtype !== 'success');
          const outcome = interruptRequested ? 'interrupted' : failed ? 'errored' : 'completed';
          interruptRequested = false;
          emit({
            kind: 'turn_end',
            outcome,
            final_message: line.result ?? lastText,
            error: outcome === 'completed' ? null : outcome === 'interrupted' ? 'interrupted' : `${line.subtype ?? 'error'}: ${line.result ?? ''}`.trim(),
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
      onStdoutLine: onLine,
    });
    child.write(userLine(turn.text));

    void child.exited.then((exit) => {
      const error = exit.error ?? (exit.code !== 0 && exit.signal === null ? `claude exited with code ${exit.code}: ${child.stderrTail().split('\n').slice(-3).join(' | ')}` : null);
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
        child.write(JSON.stringify({ type: 'control_request', request_id: nanoid(), request: { subtype: 'interrupt' } }));
      },
      stop: async (graceMs) => {
        await child.stop(graceMs, () => child.closeStdin());
      },
    };
  },
};
