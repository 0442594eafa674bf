/**
 * A real headless Chromium (Debian's, driven by playwright-core) and a real `maestro ui` process
 * for the dashboard's tests. Where no Chromium is installed the browser tests are skipped with
 * the reason printed; `.ci/run` installs it and sets MAESTRO_REQUIRE_BROWSER=1, so there a
 * missing browser fails instead.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CHROMIUM, launchChromium } from '../fixtures/chromium.js';
import { spawnMaestro } from './cli.js';
import { PATIENCE } from './patience.js';

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `no Chromium at ${CHROMIUM} (install Debian's chromium, or set MAESTRO_CHROMIUM)`;
  if (process.env.MAESTRO_REQUIRE_BROWSER) throw new Error(`${reason}; MAESTRO_REQUIRE_BROWSER is set`);
  process.stderr.write(`skipping the dashboard's browser tests: ${reason}\n`);
  return reason;
}

export const launchBrowser = launchChromium;

export interface RunningUi {
  /** The address it printed: the token in it. */
  url: string;
  origin: string;
  token: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `maestro ui --no-open` in `cwd` and reads the address from its first line. */
export async function startUi(cwd: string, args: string[] = []): Promise<RunningUi> {
  const child = spawnMaestro(['ui', '--no-open', ...args], { cwd });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`maestro ui printed no address: ${stderr}`)), 30_000 * PATIENCE);
    lines.once('line', (line) => (clearTimeout(timer), resolve(line)));
    void child.then((r) => reject(new Error(`maestro ui exited ${r.exitCode}: ${stderr}`)));
  });
  const url = new URL(first);
  return {
    url: first,
    origin: url.origin,
    token: url.searchParams.get('token')!,
    port: Number(url.port),
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}
