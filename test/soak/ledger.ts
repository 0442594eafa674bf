/**
 * What the soak run saw acknowledged and delivered, and the checks against what the database
 * holds at the end. The checks are pure functions over lists, so they are tested on their own:
 * a checker that cannot see a lost or doubled message would make a passing soak worthless.
 */

/** Counts how often each key was seen. */
/** How a call reads while the database server is away: refused, saying so. */
export const DATABASE_AWAY = /database .* cannot be reached/;

export class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  get size(): number {
    return this.counts.size;
  }
  keys(): IterableIterator<string> {
    return this.counts.keys();
  }
  /** Keys seen more than once. */
  repeated(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([key]) => key);
  }
}

export class Ledger {
  /** Writes a server or CLI confirmed: unique summary token → the message id it was given. */
  readonly committed = new Map<string, string>();
  /** Mailbox reads by the competing readers of one role, by message id. */
  readonly inboxReads = new Tally();
  /** Mail workers read from their own mailboxes, as `agent_id message_id`. */
  readonly workerMailReads = new Tally();
  /** Messages to the coordinator returned by wait_agent, by message id. */
  readonly waitMessages = new Tally();
  /** Turn endings returned by wait_agent, as `agent_id#turn`. */
  readonly waitFinished = new Tally();
  readonly waits: { timeoutMs: number; elapsedMs: number }[] = [];
  readonly operations = new Tally();
  readonly faults = new Tally();
  /** Refusals the rules call for (a closed agent, a name in use …), by tool. */
  readonly refusals = new Tally();
  /** Calls refused, clearly, because the database server was away (a soak on PostgreSQL restarts it). */
  readonly refusedWhileAway = new Tally();
  /** How each kind of call was first refused by a rule, for the report. */
  readonly firstRefusal = new Map<string, string>();
  refuse(kind: string, text: string): void {
    if (DATABASE_AWAY.test(text)) return this.refusedWhileAway.add(kind);
    this.refusals.add(kind);
    if (!this.firstRefusal.has(kind)) this.firstRefusal.set(kind, text.slice(0, 300));
  }
  /** Failures no caller should ever see. */
  readonly violations: string[] = [];

  commit(token: string, id: string, by: string): void {
    const earlier = this.committed.get(token);
    if (earlier !== undefined && earlier !== id)
      this.violations.push(`${by}: token ${token} acknowledged as ${earlier} and ${id}`);
    this.committed.set(token, id);
  }
}

export interface StoredMessage {
  seq: number;
  summary: string;
}

export interface MessageCheck {
  committed: number;
  stored: number;
  /** Acknowledged writes missing from the database, or stored under another id. */
  lost: string[];
  /** Tokens stored more than once. */
  duplicates: string[];
  /** Missing sequence numbers: ids are assigned in the write's transaction, so none may be skipped. */
  gaps: number[];
}

export const formatId = (seq: number) => `MSG-${String(seq).padStart(3, '0')}`;

export function checkMessages(committed: ReadonlyMap<string, string>, stored: readonly StoredMessage[]): MessageCheck {
  const byToken = new Map<string, number[]>();
  for (const m of stored) byToken.set(m.summary, [...(byToken.get(m.summary) ?? []), m.seq]);
  const lost = [...committed]
    .filter(([token, id]) => {
      const seqs = byToken.get(token);
      return !seqs || !seqs.map(formatId).includes(id);
    })
    .map(([token, id]) => `${token} (${id})`);
  const duplicates = [...byToken].filter(([token, seqs]) => token.startsWith('t:') && seqs.length > 1).map(([t]) => t);
  const seqs = stored.map((m) => m.seq).sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let expected = 1, i = 0; i < seqs.length; expected++) {
    if (seqs[i] === expected) i++;
    else gaps.push(expected);
  }
  return { committed: committed.size, stored: stored.length, lost, duplicates, gaps };
}

export interface DeliveryCheck {
  expected: number;
  lost: string[];
  duplicates: string[];
  /** Delivered but never owed to this reader. */
  strangers: string[];
}

/**
 * Each of `expected` delivered exactly once (or, if it is in `excused`, at most once: news that
 * was overtaken before anyone asked for it), and nothing else delivered.
 */
export function checkDeliveries(
  expected: readonly string[],
  delivered: Tally,
  excused: ReadonlySet<string> = new Set(),
): DeliveryCheck {
  const owed = new Set(expected);
  return {
    expected: owed.size,
    lost: [...owed].filter((key) => delivered.count(key) === 0 && !excused.has(key)),
    duplicates: delivered.repeated(),
    strangers: [...delivered.keys()].filter((key) => !owed.has(key)),
  };
}

/** How far each wait ran past its own timeout; `slackMs` is what scheduling may add. */
export function overranWaits(waits: readonly { timeoutMs: number; elapsedMs: number }[], slackMs: number) {
  const over = waits.map((w) => w.elapsedMs - w.timeoutMs);
  return {
    count: waits.length,
    overran: over.filter((ms) => ms > slackMs).length,
    worstMs: Math.max(0, ...over),
  };
}
