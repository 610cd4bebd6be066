import type { Db } from "./database.js";

interface Prepared<R> {
  execute(placeholders: Record<string, unknown>): Promise<R>;
}

export interface Preparable<R> {
  prepare(name: string): Prepared<R>;
}

/** drizzle's prepared queries run on the driver client they hold; an executor's session holds its own (a transaction's: its connection). */
type OnClient<R> = Prepared<R> & { client: unknown };
const sessionOf = (ex: Db) => (ex as unknown as { session: { client: unknown } }).session;

/**
 * A query rendered once and re-run with new placeholder values, on the
 * handle or in any transaction. drizzle renders SQL text from the query
 * builder on every call, and for a primary-key lookup that rendering cost
 * the server more CPU than the database spent answering (a profile of
 * GetSecret under load: ~25 % of the server's time). A transaction is a new
 * executor each time, so the query rendered on the first one is pointed at
 * each executor's client instead of being rendered again (drizzle 0.45's
 * prepared queries keep it in `client`; test/statements.test.ts checks that
 * such a query sees its own transaction's rows).
 */
export function preparedQuery<P extends Record<string, unknown>, R>(name: string, build: (ex: Db) => Preparable<R>): (ex: Db, params: P) => Promise<R> {
  // Per kind of driver session (postgres.js, PGlite): a process normally opens one kind, its tests both.
  const rendered = new Map<unknown, OnClient<R>>();
  return (ex, params) => {
    const session = sessionOf(ex);
    let query = rendered.get(session.constructor);
    if (!query) {
      query = build(ex).prepare(name) as OnClient<R>;
      rendered.set(session.constructor, query);
    }
    if (query.client !== session.client) query = Object.create(query, { client: { value: session.client } }) as OnClient<R>;
    return query.execute(params);
  };
}

/** preparedQuery for each shape of a query (which columns an update sets, say), rendered when that shape is first run. */
export function preparedShapes<K extends string, P extends Record<string, unknown>, R>(name: string, build: (ex: Db, shape: K) => Preparable<R>): (ex: Db, shape: K, params: P) => Promise<R> {
  const shapes = new Map<K, (ex: Db, params: P) => Promise<R>>();
  return (ex, shape, params) => {
    let query = shapes.get(shape);
    if (!query) {
      query = preparedQuery<P, R>(`${name}_${shapes.size}`, (e) => build(e, shape));
      shapes.set(shape, query);
    }
    return query(ex, params);
  };
}
