import { type PGlite, type Transaction, types } from "@electric-sql/pglite";
import type { StatementCounter } from "./statement-counter.js";

/**
 * The result parsers drizzle passes with every PGlite query (drizzle-orm's
 * pglite session): its own mapping reads these types as the text PostgreSQL
 * sends. Passed per query, they make PGlite merge them into its whole parser
 * table each time, which measured here at ~150 µs a query (145 against 307 µs
 * for a one-row select); given once, at creation, they cost nothing per query.
 */
export const DRIZZLE_PARSERS = Object.fromEntries(
  // timestamp, timestamptz, interval, date, and the arrays of numeric, timestamp, timestamptz, interval, date.
  [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map((oid) => [oid, (value: string) => value]),
);

type QueryOptions = { parsers?: unknown } | undefined;

/**
 * The PGlite client drizzle is given: it counts what it runs (a transaction
 * adds its BEGIN and its end) and leaves out the parsers drizzle passes with
 * each query, which the client was created with (see DRIZZLE_PARSERS). A
 * Proxy rather than a copy: PGlite's methods read private fields, so every
 * other method must still be called on the client itself.
 */
export function pgliteForDrizzle(client: PGlite, counter: StatementCounter): PGlite {
  return wrapped(client, counter, (tx) => wrapped(tx, counter));
}

function wrapped<T extends PGlite | Transaction>(target: T, counter: StatementCounter, inTransaction?: (tx: Transaction) => Transaction): T {
  const query = target.query.bind(target) as (sql: string, params?: unknown[], options?: QueryOptions) => Promise<unknown>;
  const exec = target.exec.bind(target) as (...args: unknown[]) => Promise<unknown>;
  const own: Record<PropertyKey, unknown> = {
    query: (sql: string, params?: unknown[], options?: QueryOptions) => {
      counter.statements++;
      if (options?.parsers === undefined) return query(sql, params, options);
      const { parsers: _, ...rest } = options;
      return query(sql, params, rest);
    },
    exec: (...args: unknown[]) => (counter.statements++, exec(...args)),
  };
  if (inTransaction) {
    const transaction = (target as PGlite).transaction.bind(target);
    own.transaction = <R>(fn: (tx: Transaction) => Promise<R>) => {
      counter.transactions++;
      counter.statements += 2;
      return transaction((tx) => fn(inTransaction(tx)));
    };
  }
  return new Proxy(target, {
    get(t, p) {
      if (p in own) return own[p];
      const v = Reflect.get(t, p, t);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
}
