import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQL } from "drizzle-orm";
import postgres from "postgres";
import type { Db } from "../../src/store/database.js";
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
