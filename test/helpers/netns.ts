/**
 * Machines for tests: network namespaces (`ip netns`), each joined to this one by a veth pair, so
 * a process started in one reaches the others only over a network — the database at the address
 * of its link's near end. Needs root and iproute2; `makeMachines` says why when it cannot.
 * Namespaces a killed test run left behind are removed by the next.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface Machine {
  /** The namespace's name: run a command there with `ip netns exec <ns> …` (see `wrap`). */
  ns: string;
  /** Its own address, and the address by which it reaches this (the root) namespace. */
  address: string;
  gateway: string;
  wrap: string[];
}

const PREFIX = 'mt';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function removeStale(): void {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of listed.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (match && !alive(Number(match[1]))) spawnSync('ip', ['netns', 'del', name]);
  }
}

/** `count` machines, or why there can be none here. */
export function makeMachines(count: number): { machines: Machine[]; remove(): void } | { missing: string } {
  if (process.getuid?.() !== 0) return { missing: 'network namespaces need root' };
  if (spawnSync('ip', ['-V']).status !== 0) return { missing: 'iproute2 (ip) is not installed' };
  removeStale();
  const machines: Machine[] = [];
  const remove = () => {
    for (const m of machines) spawnSync('ip', ['netns', 'del', m.ns]);
  };
  // A subnet per run and machine: 10.<pid-derived>.<n>.0/30.
  const block = 100 + (process.pid % 150);
  try {
    for (let n = 1; n <= count; n++) {
      const ns = `${PREFIX}${process.pid}-${n}`;
      const near = `mtv${process.pid % 100000}x${n}`;
      const gateway = `10.${block}.${n}.1`;
      const address = `10.${block}.${n}.2`;
      ip('netns', 'add', ns);
      machines.push({ ns, address, gateway, wrap: ['ip', 'netns', 'exec', ns] });
      ip('link', 'add', near, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('addr', 'add', `${gateway}/30`, 'dev', near);
      ip('link', 'set', near, 'up');
      ip('-n', ns, 'addr', 'add', `${address}/30`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  } catch (error) {
    remove();
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { missing: `network namespaces cannot be made here: ${stderr || String(error)}` };
  }
  return { machines, remove };
}
