/**
 * One-line renderings of messages, shared by the tool's `formatted` lines and the CLI:
 * `MSG-003 [10:00:01] IMPL-001 → coordinator (progress) summary`. Every field goes through
 * `visible`, so whatever a writer put in a message (or in the database file) stays on its line.
 */
import type { Message } from '../bus/message.js';
import { visible } from './visible.js';

export interface LineOptions {
  /** Render times in UTC (the tool) or the local zone (a person's terminal). */
  utc?: boolean;
  /** Column widths for aligned output; absent means single spaces. */
  widths?: Partial<Record<'id' | 'from' | 'to' | 'type', number>>;
  /** Wraps a column's text, e.g. in ANSI colour; must not change its visible width. */
  paint?: (column: 'id' | 'time' | 'from' | 'to' | 'type' | 'summary', text: string, message: Message) => string;
  /** Brackets around the time, as in the tool's formatted lines. */
  bracketTime?: boolean;
}

export function clockTime(ts: string, utc: boolean): string {
  const date = new Date(ts);
  if (utc) return ts.slice(11, 19);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function formatLine(message: Message, options: LineOptions = {}): string {
  const widths = options.widths ?? {};
  const paint = options.paint ?? ((_column, text) => text);
  const time = visible(clockTime(message.ts, options.utc ?? true));
  const cell = (column: 'id' | 'from' | 'to' | 'type', text: string) =>
    paint(column, text, message) + ' '.repeat(Math.max(0, (widths[column] ?? 0) - text.length));
  return [
    cell('id', visible(message.id)),
    paint('time', options.bracketTime ? `[${time}]` : time, message),
    `${cell('from', visible(message.from))} → ${cell('to', visible(message.to))}`,
    cell('type', `(${visible(message.type)})`),
    paint('summary', visible(message.summary), message),
  ].join(' ');
}

export function columnWidths(messages: readonly Message[]): NonNullable<LineOptions['widths']> {
  const widest = (pick: (m: Message) => string) => Math.max(0, ...messages.map((m) => visible(pick(m)).length));
  return {
    id: widest((m) => m.id),
    from: widest((m) => m.from),
    to: widest((m) => m.to),
    type: widest((m) => `(${m.type})`),
  };
}

/** The tool's formatted line: UTC time in brackets, unpadded. */
export function toolLine(message: Message): string {
  return formatLine(message, { utc: true, bracketTime: true });
}
