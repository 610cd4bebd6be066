import type { Db } from "./database.js";

interface Preparable<R> {
  prepare(name: string): { execute(placeholders: Record<string, unknown>): Promise<R> };
}

/**
 * A query rendered once per executor and re-run with new placeholder values.
 * drizzle renders SQL text from the query builder on every call, and for a
 * primary-key lookup that rendering cost the server more CPU than the
 * database spent answering (a profile of GetSecret under load: ~25 % of the
 * server's time). The pool handle lives as long as the process, so its
 * rendering is paid once; a transaction is a new executor each time and
 * renders its own, as before.
 */
export function preparedQuery<P extends Record<string, unknown>, R>(name: string, build: (ex: Db) => Preparable<R>): (ex: Db, params: P) => Promise<R> {
  const rendered = new WeakMap<Db, ReturnType<Preparable<R>["prepare"]>>();
  return (ex, params) => {
    let query = rendered.get(ex);
    if (!query) {
      query = build(ex).prepare(name);
      rendered.set(ex, query);
    }
    return query.execute(params);
  };
}
