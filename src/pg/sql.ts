/**
 * What the PostgreSQL tables run their statements on: one connection, inside the transaction the
 * store opened for the call (pg-store.ts). A table module is written as functions of a `Sql`, so
 * the same code serves a direct call and a call inside a unit of work.
 */
import type pg from 'pg';

export interface Sql {
  /** Every row the statement returns. */
  rows<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** The first row, if any. */
  one<R>(text: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** How many rows the statement inserted, updated or deleted. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
}

export function sqlOn(client: pg.ClientBase): Sql {
  const query = (text: string, params?: readonly unknown[]) => client.query(text, params as unknown[] | undefined);
  return {
    rows: async <R>(text: string, params?: readonly unknown[]) => (await query(text, params)).rows as R[],
    one: async <R>(text: string, params?: readonly unknown[]) => (await query(text, params)).rows[0] as R | undefined,
    run: async (text, params) => (await query(text, params)).rowCount ?? 0,
  };
}

/** An async store interface as functions of the connection they run on. */
export type Tables<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (sql: Sql, ...args: A) => Promise<R> : never;
};

/** `$first, $first+1, …` for `count` values: the placeholders of an IN list. */
export function placeholders(first: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');
}
