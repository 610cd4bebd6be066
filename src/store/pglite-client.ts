import { type PGlite, type Results, parse, protocol, types } from "@electric-sql/pglite";
import { StoreUnavailableError, TransactionRolledBackError } from "./errors.js";
import type { StatementCounter } from "./statement-counter.js";

/**
 * The result parsers drizzle passes with every PGlite query (drizzle-orm's
 * pglite session): its own mapping reads these types as the text PostgreSQL
 * sends. The client is created with them, so they are not merged into its
 * parser table on every query.
 */
export const DRIZZLE_PARSERS = Object.fromEntries(
  // timestamp, timestamptz, interval, date, and the arrays of numeric, timestamp, timestamptz, interval, date.
  [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map((oid) => [oid, (value: string) => value]),
);

type Message = Parameters<typeof parse.parseResults>[0][number];
type RowMode = "array" | "object";
interface QueryOptions {
  rowMode?: RowMode;
}

/** What drizzle's pglite session calls on the client it is given (and on a transaction's). */
export interface DrizzlePgliteClient {
  query(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results>;
  exec(sql: string): Promise<Results[]>;
  transaction<R>(fn: (tx: DrizzlePgliteClient) => Promise<R>): Promise<R>;
}

const { serialize } = protocol;
const EXECUTE = serialize.execute({});
const SYNC = serialize.sync();
/** "cached plan must not change result type": a table a prepared statement reads changed shape. */
const STALE_PLAN = "0A000";
/** Named statements kept per database; the least recently run is closed beyond this. */
const MAX_STATEMENTS = 512;

interface Statement {
  name: string;
  paramTypes: number[];
  /** Its rowDescription (undefined for a statement that returns no rows), given to PGlite's result parser. */
  columns: Message | undefined;
}

/**
 * The PGlite client drizzle is given: every statement is parsed once, as a
 * named prepared statement, and then run as one Bind/Execute/Sync exchange.
 *
 * PGlite's own `query` has no prepared statements: it parses and plans every
 * statement again and makes six separate calls into its WebAssembly backend
 * for it (Parse, Describe, Bind, Describe, Execute, Sync). A one-row select by
 * primary key measured ~230 µs of CPU that way and ~50 µs as a named
 * statement. Only PGlite's public protocol interface is used (`execProtocol`,
 * `protocol.serialize`, `parse.parseResults`, its serializers and parsers).
 *
 * It counts what it runs (a transaction adds its BEGIN and its end), and it
 * is the only way in to its PGlite: exchanges with the backend are queued here
 * one at a time (`execProtocol` does not queue them itself), and a transaction
 * holds the queue from BEGIN to its end.
 */
export function pgliteForDrizzle(pg: PGlite, counter: StatementCounter): DrizzlePgliteClient & { ping(): Promise<void>; close(): Promise<void> } {
  return new TopLevel(new Statements(pg), counter);
}

/** Runs tasks one at a time, in the order given. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => {});
    return result;
  }
}

class Statements {
  readonly #named = new Map<string, Statement>();
  /** Names of statements forgotten (evicted, or stale), to close with the next prepare. */
  #closing: string[] = [];
  #next = 0;

  constructor(readonly pg: PGlite) {}

  async run(sql: string, params: unknown[], rowMode: RowMode = "object"): Promise<Results> {
    const statement = this.#recall(sql) ?? (await this.#prepare(sql));
    const values = params.map((value, i) => this.#serialized(value, statement.paramTypes[i]));
    try {
      const messages = await this.#exchange(serialize.bind({ statement: statement.name, values }), EXECUTE, SYNC);
      return this.#results(statement.columns ? [statement.columns, ...messages] : messages, rowMode)[0]!;
    } catch (err) {
      // A table it reads changed shape ("cached plan must not change result type"): prepared again next time.
      if ((err as { code?: string }).code === STALE_PLAN) this.#forget(sql, statement);
      throw err;
    }
  }

  /** Several statements in one string, in the simple protocol: migrations' and drizzle's `exec`. */
  async simple(sql: string): Promise<Results[]> {
    const messages = await this.#exchange(serialize.query(sql));
    return this.#results(messages, "object");
  }

  #recall(sql: string): Statement | undefined {
    const statement = this.#named.get(sql);
    if (statement) {
      // Most recently run last, so that the first is the one to evict.
      this.#named.delete(sql);
      this.#named.set(sql, statement);
    }
    return statement;
  }

  async #prepare(sql: string): Promise<Statement> {
    if (this.#named.size >= MAX_STATEMENTS) {
      const [oldest, evicted] = this.#named.entries().next().value!;
      this.#forget(oldest, evicted);
    }
    const name = `s${++this.#next}`;
    // Statements forgotten since the last prepare are closed in the same exchange (closing an unknown name is no error).
    const closing = this.#closing.splice(0).map((closed) => serialize.close({ type: "S", name: closed }));
    const messages = await this.#exchange(...closing, serialize.parse({ name, text: sql, types: [] }), serialize.describe({ type: "S", name }), SYNC);
    const parameters = messages.find((m) => m.name === "parameterDescription") as { dataTypeIDs: number[] } | undefined;
    const statement = { name, paramTypes: parameters?.dataTypeIDs ?? [], columns: messages.find((m) => m.name === "rowDescription") };
    this.#named.set(sql, statement);
    return statement;
  }

  #forget(sql: string, statement: Statement): void {
    this.#named.delete(sql);
    this.#closing.push(statement.name);
  }

  /** PGlite's own serialization of a parameter, by the type PostgreSQL inferred for it. */
  #serialized(value: unknown, type: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    const serializer = type === undefined ? undefined : this.pg.serializers[type];
    return serializer ? serializer(value) : String(value);
  }

  async #exchange(...parts: Uint8Array[]) {
    // execProtocol on a closed PGlite does not fail: it would answer with no rows.
    if (this.pg.closed) throw new StoreUnavailableError();
    // The stream form, as PGlite's own query uses: the messages alone, without a second copy of every byte.
    return this.pg.execProtocolStream(concat(parts), { syncToFs: false });
  }

  #results(messages: Message[], rowMode: RowMode): Results[] {
    return parse.parseResults(messages, this.pg.parsers, { rowMode });
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

class TopLevel implements DrizzlePgliteClient {
  readonly #queue = new Queue();

  constructor(
    readonly statements: Statements,
    readonly counter: StatementCounter,
  ) {}

  query(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results> {
    this.counter.statements++;
    const run = () => this.statements.run(sql, params, options?.rowMode);
    // A statement whose table changed shape failed at Bind, before anything ran: outside a transaction it is safe to
    // run again, prepared anew (inside one, the transaction is already aborted and the error is the caller's).
    return this.#queue.run(() => this.#synced(run().catch((err: { code?: string }) => (err.code === STALE_PLAN ? run() : Promise.reject(err)))));
  }

  exec(sql: string): Promise<Results[]> {
    this.counter.statements++;
    return this.#queue.run(() => this.#synced(this.statements.simple(sql)));
  }

  /** Closes PGlite once the exchanges already queued have run; later ones fail as unavailable. */
  close(): Promise<void> {
    return this.#queue.run(() => this.statements.pg.close());
  }

  /** The health check's query: like PostgreSQL's, not counted as the service's work. */
  async ping(): Promise<void> {
    await this.#queue.run(() => this.statements.run("select 1", [], "array"));
  }

  transaction<R>(fn: (tx: DrizzlePgliteClient) => Promise<R>): Promise<R> {
    this.counter.transactions++;
    this.counter.statements += 2;
    return this.#queue.run(async () => {
      await this.statements.simple("BEGIN");
      const tx = new InTransaction(this.statements, this.counter);
      let result: R;
      try {
        result = await fn(tx);
      } catch (err) {
        await tx.end("ROLLBACK").catch(() => {});
        throw err;
      }
      const [ended] = await tx.end("COMMIT");
      await this.statements.pg.syncToFs();
      if (ended?.command === "ROLLBACK") throw new TransactionRolledBackError();
      return result;
    });
  }

  /** What PGlite's own query does after a statement outside a transaction (with relaxed durability, it does not wait). */
  async #synced<T>(work: Promise<T>): Promise<T> {
    const result = await work;
    await this.statements.pg.syncToFs();
    return result;
  }
}

/** A transaction's statements, in the order they were issued (one may be left in flight while the next is sent). */
class InTransaction implements DrizzlePgliteClient {
  readonly #queue = new Queue();
  #ended = false;

  constructor(
    readonly statements: Statements,
    readonly counter: StatementCounter,
  ) {}

  query(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results> {
    this.counter.statements++;
    return this.#open(() => this.statements.run(sql, params, options?.rowMode));
  }

  exec(sql: string): Promise<Results[]> {
    this.counter.statements++;
    return this.#open(() => this.statements.simple(sql));
  }

  transaction(): never {
    throw new Error("nested transactions are savepoints (drizzle's tx.transaction)");
  }

  /** COMMIT or ROLLBACK, after every statement issued before it. */
  end(how: "COMMIT" | "ROLLBACK"): Promise<Results[]> {
    this.#ended = true;
    return this.#queue.run(() => this.statements.simple(how));
  }

  #open<T>(work: () => Promise<T>): Promise<T> {
    if (this.#ended) return Promise.reject(new Error("the transaction has ended"));
    return this.#queue.run(work);
  }
}
