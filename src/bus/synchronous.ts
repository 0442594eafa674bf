/** The synchronous twin of an async store interface: what better-sqlite3's statements give. */
export type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};
