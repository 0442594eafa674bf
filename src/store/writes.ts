/**
 * The store calls that write, whatever the engine, and whether a result means something changed:
 * an engine runs these as write transactions and wakes its listeners (store.ts, `changes`) only
 * when the result says so.
 */
export const STORE_WRITES: Record<string, (result: unknown) => boolean> = {
  log: () => true,
  remove: (removed) => removed !== null,
  clear: () => true,
  readMailbox: (taken) => (taken as unknown[]).length > 0,
  reserve: () => true,
  transition: (outcome) => (outcome as { ok: boolean }).ok,
  beginTurn: (outcome) => (outcome as { ok: boolean }).ok,
  endTurn: () => true,
  report: (outcome) => (outcome as { accepted: boolean }).accepted,
  setProcess: () => true,
  setBackendSession: () => true,
  queueFollowup: () => true,
  dropFollowups: (dropped) => (dropped as number) > 0,
  setClientSession: () => false, // remembered for a later server; nobody waits for it
  request: () => true,
  take: (taken) => taken === true,
  finish: () => true,
  expire: (expired) => expired === true,
  discard: () => false, // a read's answer, taken by its asker: news to nobody
  consumeNews: (taken) => (taken as unknown[]).length > 0,
  give: () => true,
  set: () => true,
  warn: (recorded) => recorded === true,
  withdraw: (withdrawn) => (withdrawn as unknown[]).length > 0,
  adoptOrphans: () => false, // hands news over; nothing new happened
  setCwd: () => true,
  register: () => true,
  heartbeat: () => false, // every few seconds from every host: news to nobody
  unregister: () => true,
  markLost: (lost) => (lost as unknown[]).length > 0,
  requestSpawn: () => true,
  claimSpawn: () => false, // the asker waits for the finish, not the claim
  finishSpawn: () => true,
  expireSpawn: (expired) => expired === true,
};
