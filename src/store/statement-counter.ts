import type { PGlite, Transaction } from "@electric-sql/pglite";

/**
 * What this process has sent to its database: statements (BEGIN and COMMIT
 * or ROLLBACK included) and transactions. Counted at the driver boundary,
 * below drizzle, so that `npm run bench` and `/metrics` report what was
 * sent, not what the code is believed to send.
 */
export interface StatementCounts {
  statements: number;
  transactions: number;
}

export class StatementCounter implements StatementCounts {
  statements = 0;
  transactions = 0;

  snapshot(): StatementCounts {
    return { statements: this.statements, transactions: this.transactions };
  }
}

/**
 * The PGlite client, counting what it runs; a transaction adds its BEGIN and
 * its end. A Proxy rather than a copy: PGlite's methods read private fields,
 * so every other method must still be called on the client itself.
 */
export function countingPglite(client: PGlite, counter: StatementCounter): PGlite {
  return counted(client, counter, (tx) => counted(tx, counter));
}

function counted<T extends PGlite | Transaction>(target: T, counter: StatementCounter, inTransaction?: (tx: Transaction) => Transaction): T {
  const query = target.query.bind(target) as (...args: unknown[]) => Promise<unknown>;
  const exec = target.exec.bind(target) as (...args: unknown[]) => Promise<unknown>;
  const own: Record<PropertyKey, unknown> = {
    query: (...args: unknown[]) => (counter.statements++, query(...args)),
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
