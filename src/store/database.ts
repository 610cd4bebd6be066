import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { TransactionRolledBackError } from "./errors.js";
import { pgliteOptions } from "./pglite-options.js";
import { noDelaySocket } from "./postgres-socket.js";
import { readTemplate } from "./pglite-template.js";
import * as schema from "./schema.js";
import { DRIZZLE_PARSERS, pgliteForDrizzle } from "./pglite-client.js";
import { StatementCounter, type StatementCounts } from "./statement-counter.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /** "postgres" (postgres.js over DATABASE_URL) or "pglite" (embedded, under the data directory). */
  kind: "postgres" | "pglite";
  /** A connectivity probe for health checks. */
  ping(): Promise<void>;
  /** Statements and transactions sent so far by this process. */
  counts(): StatementCounts;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; when unset the embedded PGlite under dataDir is used. */
  url?: string;
  /** Data directory of the embedded database. */
  dataDir: string;
  /** Apply pending migrations on open. Default true. */
  migrate?: boolean;
  /** Connection pool size of postgres.js. Default 10. */
  poolSize?: number;
  /** PGlite's buffer pool (shared_buffers), MB. Default 16. */
  pgliteSharedBuffersMb?: number;
}

// Two levels below the package root both here (src/store/) and in the built server (dist/bin/main.js), which inlines this module.
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

// Any fixed 64-bit number: replicas starting together serialize their migration runs on it.
const MIGRATION_LOCK_KEY = 7_358_221_904_113n;

/**
 * Whether the database was ever set up: for PostgreSQL, migrations have been
 * applied to it; for PGlite, its directory holds a cluster. Opening an
 * unknown database creates it, so callers that must not create one ask first.
 */
export async function databaseExists(options: Pick<DatabaseOptions, "url" | "dataDir">): Promise<boolean> {
  if (!options.url) return pgliteClusterExists(options.dataDir);
  const client = postgres(options.url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    const [row] = await client`select to_regclass('drizzle.__drizzle_migrations') is not null as migrated`;
    return row?.migrated === true;
  } finally {
    await client.end({ timeout: 1 });
  }
}

const pglitePath = (dataDir: string) => join(dataDir, "pglite");

const pgliteClusterExists = (dataDir: string) =>
  access(join(pglitePath(dataDir), "PG_VERSION")).then(
    () => true,
    () => false,
  );

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options) : openPglite(options.dataDir, options);
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const clientOptions = {
    // Two at least: migrating holds one connection for the advisory lock while it runs on another.
    max: Math.max(2, options.poolSize ?? 10),
    // Fail fast when the database is unreachable instead of queueing calls past their deadlines.
    connect_timeout: 5,
    idle_timeout: 60,
    onnotice: () => {},
  };
  // Parsing the URL connects nothing: the client for one host is made again with sockets of its own.
  const parsed = postgres(url, clientOptions);
  // A documented option of postgres.js that its types leave out.
  const client = parsed.options.host.length === 1 ? postgres(url, { ...clientOptions, socket: noDelaySocket } as typeof clientOptions) : parsed;
  const counter = new StatementCounter();
  const db = drizzlePostgres(pipelinedTransactions(preparedByDefault(client, counter), counter), { schema });
  try {
    if (options.migrate !== false) {
      const lockConn = await client.reserve();
      try {
        await lockConn`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
        await migratePostgres(db, { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await lockConn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.catch(() => {});
        lockConn.release();
      }
    }
  } catch (err) {
    await client.end({ timeout: 1 });
    throw err;
  }
  return {
    db: db as unknown as Db,
    kind: "postgres",
    ping: async () => {
      await client`select 1`;
    },
    counts: () => counter.snapshot(),
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * drizzle sends every query through postgres.js `unsafe(…, { prepare: false })`,
 * and an unprepared statement with parameters costs postgres.js an extra
 * Parse/Describe round trip: measured here at ~0.5 ms per query against
 * ~0.15 ms prepared. drizzle's SQL text is stable per query shape, so letting
 * postgres.js prepare (and cache per connection) every statement is safe.
 * Every statement passes here, so this is also where they are counted.
 */
function preparedByDefault<T extends Pick<postgres.Sql, "unsafe">>(sql: T, counter: StatementCounter): T {
  const target = sql as unknown as { unsafe: (q: string, p?: unknown[], o?: object) => unknown };
  const unsafe = target.unsafe.bind(sql);
  target.unsafe = (query, params, options) => {
    counter.statements++;
    return unsafe(query, params, { ...options, prepare: true });
  };
  return sql;
}

/**
 * Transactions for drizzle on a reserved connection, with BEGIN sent in the
 * same write as the transaction's first statement. postgres.js's own
 * `begin` waits for BEGIN's answer first: a round trip, and a wake-up of the
 * backend, for nothing (BEGIN cannot fail on a live connection, and on a dead
 * one every statement after it fails too). COMMIT goes out as soon as the
 * work resolves, so the statements the work left in flight (its last write,
 * its audit event) share COMMIT's write; if one of them failed, PostgreSQL
 * answers the COMMIT of the aborted transaction with ROLLBACK, and so does
 * this.
 */
function pipelinedTransactions(client: postgres.Sql, counter: StatementCounter): postgres.Sql {
  const target = client as unknown as { begin: (...args: unknown[]) => Promise<unknown> };
  target.begin = async (...args) => {
    if (args.length !== 1) throw new Error("transaction options are not supported");
    const work = args[0] as (tx: postgres.Sql) => Promise<unknown>;
    const conn = await client.reserve();
    // BEGIN and COMMIT or ROLLBACK, counted here rather than as the work's statements.
    const control = conn.unsafe.bind(conn);
    counter.transactions++;
    counter.statements += 2;
    try {
      const begun = control("begin").execute();
      begun.catch(() => {});
      let result: unknown;
      try {
        result = await work(preparedByDefault(conn, counter));
      } catch (err) {
        await control("rollback").catch(() => {});
        throw err;
      }
      // Sent at once, behind whatever the work left in flight, rather than after BEGIN's answer.
      const [, committed] = await Promise.all([begun, control("commit").execute()]);
      if (committed.command === "ROLLBACK") throw new TransactionRolledBackError();
      return result;
    } finally {
      conn.release();
    }
  };
  return client;
}

async function openPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock: DataDirLock = await lockDataDir(dataDir);
  let client: PGlite | undefined;
  try {
    // The template is the cluster migrated to the latest: only for an opener that would migrate it there anyway.
    const template = options.migrate === false || (await pgliteClusterExists(dataDir)) ? undefined : await readTemplate(MIGRATIONS_DIR);
    client = await PGlite.create(pglitePath(dataDir), { ...pgliteOptions(options.pgliteSharedBuffersMb ?? 16), parsers: DRIZZLE_PARSERS, loadDataDir: template });
    const counter = new StatementCounter();
    const statements = pgliteForDrizzle(client, counter);
    // drizzle calls only query and transaction on its client (DrizzlePgliteClient).
    const db = drizzlePglite(statements as unknown as PGlite, { schema });
    // PGlite is one connection in one process (guarded by the lock): no advisory lock needed.
    if (options.migrate !== false) await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR });
    return {
      db: db as unknown as Db,
      kind: "pglite",
      ping: async () => {
        await statements.ping();
      },
      counts: () => counter.snapshot(),
      close: async () => {
        try {
          await statements.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    // Nothing else has the client yet: closed directly, not through the statements' queue.
    await client?.close().catch(() => {});
    await lock.release();
    throw err;
  }
}
