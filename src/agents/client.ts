/**
 * Which top-level client a coordinator's server serves: the process that started the server (a
 * Claude Code or Codex window, a shell). Named by pid and start token, so the name outlives a
 * server that the same client restarts, tells two clients of one project apart, and says when
 * the client is gone (news.ts hands a gone client's agents and news to the next one).
 */
import { sameProcess, startToken } from './liveness.js';

export function thisClient(): string {
  return `${process.ppid}:${startToken(process.ppid) ?? ''}`;
}

export function clientGone(clientId: string): boolean {
  const [pid, start] = clientId.split(':');
  const number = Number(pid);
  if (!Number.isSafeInteger(number) || number <= 0) return true;
  return !sameProcess(number, start ? start : null);
}
