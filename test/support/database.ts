import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQL } from "drizzle-orm";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { type Database, type Db, MIGRATIONS_DIR, openDatabase } from "../../src/store/database.js";
import { inject } from "vitest";

export type Backend = "postgres" | "pglite";

/** A database of its own for one test file: a fresh PostgreSQL database, or a PGlite directory. */
export interface TestDatabase {
  backend: Backend;
  /** Set for postgres. */
  url: string | undefined;
  /** Always set: the data directory (PGlite lives here; the keystore too). */
  dataDir: string;
  drop(): Promise<void>;
}

/** The backends this run can test: PGlite always, PostgreSQL when one is available. */
export function backends(): Backend[] {
  return inject("postgresUrl") ? ["postgres", "pglite"] : ["pglite"];
}

/** The backend end-to-end suites use: PostgreSQL when available (as in production), else PGlite. */
export function preferredBackend(): Backend {
  return inject("postgresUrl") ? "postgres" : "pglite";
}

export async function createTestDatabase(backend: Backend = preferredBackend()): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), "secrets-test-"));
  if (backend === "pglite") {
    return { backend, url: undefined, dataDir, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const adminUrl = inject("postgresUrl");
  if (!adminUrl) throw new Error("no PostgreSQL available for this run");
  const name = `secrets_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    backend,
    url: url.toString(),
    dataDir,
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Rows of a raw query, whichever driver answered (postgres.js returns an array, PGlite an object with rows). */
export async function sqlRows<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/**
 * The test database opened and migrated as the schema was before the
 * migration whose tag ends with `tagSuffix` (and those after it): for rows
 * written by an older version, which opening it normally then migrates.
 */
export async function openMigratedBefore(testDb: TestDatabase, tagSuffix: string): Promise<Database> {
  const before = await mkdtemp(join(tmpdir(), "migrations-before-"));
  try {
    await cp(MIGRATIONS_DIR, before, { recursive: true });
    const journalPath = join(before, "meta", "_journal.json");
    const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: Array<{ tag: string }> };
    const first = journal.entries.findIndex((e) => e.tag.endsWith(tagSuffix));
    if (first < 0) throw new Error(`no migration ends with ${tagSuffix}`);
    journal.entries = journal.entries.slice(0, first);
    await writeFile(journalPath, JSON.stringify(journal));
    const old = await openDatabase({ url: testDb.url, dataDir: testDb.dataDir, migrate: false });
    if (old.kind === "postgres") await migratePostgres(old.db as never, { migrationsFolder: before });
    else await migratePglite(old.db as never, { migrationsFolder: before });
    return old;
  } finally {
    await rm(before, { recursive: true, force: true });
  }
}
