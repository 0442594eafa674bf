/**
 * People at a shell, at the same time as everything else: CLI processes appending to the bus and
 * competing to read one mailbox. Each is a separate `maestro` process with its own connection,
 * which is what makes "database is locked" possible at all.
 */
import { execFile } from 'node:child_process';
import { DATABASE_AWAY, type Ledger } from './ledger.js';

export const INBOX = 'inbox';

function run(cli: string, args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ShellOptions {
  cli: string;
  cwd: string;
  env: Record<string, string>;
  session: string;
  ledger: Ledger;
}

/** Appends messages from `role` until `stop()`; each acknowledged id is recorded. */
export function writerLoop(options: ShellOptions, role: string, stopped: () => boolean): Promise<void> {
  const { cli, cwd, env, session, ledger } = options;
  return (async () => {
    for (let i = 0; !stopped(); i++) {
      const token = `t:${role}-${i}`;
      const out = await run(
        cli,
        ['msg', 'log', '-s', session, '--from', role, '--to', 'coordinator', '--json', token],
        cwd,
        env,
      );
      ledger.operations.add('cli log');
      if (out.code === 0) ledger.commit(token, (JSON.parse(out.stdout) as { id: string }).id, role);
      else if (DATABASE_AWAY.test(out.stderr)) ledger.refuse('cli log', out.stderr);
      else ledger.violations.push(`maestro msg log (${role}) failed: ${out.stderr.trim()}`);
    }
  })();
}

/** Reads the shared inbox's mail until `stop()`; every id it is handed is tallied. */
export function readerLoop(options: ShellOptions, stopped: () => boolean): Promise<void> {
  return (async () => {
    while (!stopped()) await readInbox(options);
  })();
}

export async function readInbox(options: ShellOptions): Promise<number> {
  const { cli, cwd, env, session, ledger } = options;
  const out = await run(cli, ['msg', 'mailbox', '-s', session, '--role', INBOX, '--last', '50', '--json'], cwd, env);
  ledger.operations.add('cli mailbox');
  if (out.code !== 0) {
    if (DATABASE_AWAY.test(out.stderr)) ledger.refuse('cli mailbox', out.stderr);
    else ledger.violations.push(`maestro msg mailbox failed: ${out.stderr.trim()}`);
    return 0;
  }
  const { messages } = JSON.parse(out.stdout) as { messages: { id: string }[] };
  for (const m of messages) ledger.inboxReads.add(m.id);
  return messages.length;
}
