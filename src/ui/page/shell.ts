/** What every view shares: its shape, and the one place messages to the person are shown. */
import { ApiError } from './api.js';
import { h } from './dom.js';

export interface Page {
  el: HTMLElement;
  title: string;
  /** Resolves when the view shows its data and answers input. */
  ready: Promise<void>;
  close(): void;
}

/** The status line: successes politely, errors as alerts (screen readers announce both). */
export const statusLine = h('p', { id: 'status', role: 'status', 'aria-live': 'polite' });
export const alertLine = h('p', { id: 'alert', role: 'alert' });

export const notify = {
  ok(text: string): void {
    alertLine.textContent = '';
    statusLine.textContent = text;
  },
  error(error: unknown): void {
    statusLine.textContent = '';
    alertLine.textContent =
      error instanceof ApiError
        ? error.message
        : `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  },
};

/** Runs one of the person's actions: what it says on success goes to the status line, an error to the alert. */
export function attempt(action: () => Promise<string>): void {
  action().then(notify.ok, notify.error);
}
