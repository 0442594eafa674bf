/**
 * Terminal output: colour only when stdout is a TTY and NO_COLOR is unset, aligned message
 * lines and simple tables. Every cell is shown through `visible`: what agents wrote cannot
 * move the cursor, colour the screen or start a line of its own.
 */
import type { Message } from '../bus/message.js';
import { formatLine, columnWidths, type LineOptions } from '../ops/format.js';
import { visible } from '../ops/visible.js';
import type { AgentStatus } from '../agents/status.js';

export function useColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const CODES = { dim: 2, bold: 1, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
type Style = keyof typeof CODES;

/** How an agent's status is marked in a line, beside its name: a sign and a colour, never colour alone. */
export const STATUS_MARKS: Record<AgentStatus, [string, Style]> = {
  pending_init: ['·', 'dim'],
  running: ['▶', 'blue'],
  completed: ['✓', 'green'],
  errored: ['✗', 'red'],
  interrupted: ['‖', 'yellow'],
  shutdown: ['■', 'dim'],
};

export function paint(enabled: boolean, style: Style, text: string): string {
  return enabled ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

const TYPE_STYLE: Record<string, Style> = {
  progress: 'blue',
  blocker: 'red',
  task_complete: 'green',
  state_update: 'magenta',
};

export function messagePainter(enabled: boolean): LineOptions['paint'] {
  if (!enabled) return undefined;
  return (column, text, message) => {
    switch (column) {
      case 'id':
      case 'time':
        return paint(true, 'dim', text);
      case 'from':
        return paint(true, 'cyan', text);
      case 'type':
        return paint(true, TYPE_STYLE[message.type] ?? 'dim', text);
      default:
        return text;
    }
  };
}

/** Human lines for a batch of messages, columns aligned across the batch; local time. */
export function messageLines(messages: readonly Message[], color: boolean): string[] {
  const widths = columnWidths(messages);
  const painter = messagePainter(color);
  return messages.map((m) => formatLine(m, { utc: false, widths, ...(painter ? { paint: painter } : {}) }));
}

/** Minimum widths for a stream whose messages are not known in advance (tail). */
export const STREAM_WIDTHS = { id: 7, from: 12, to: 12, type: 15 };

export function table(headers: string[], unsafeRows: string[][], color: boolean): string[] {
  const rows = unsafeRows.map((row) => row.map(visible));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [paint(color, 'bold', line(headers)), ...rows.map(line)];
}
