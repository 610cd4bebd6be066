import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, openDatabase } from "../src/store/database.js";
import { pgliteOptions } from "../src/store/pglite-options.js";
import { readTemplate } from "../src/store/pglite-template.js";
import { type TestDatabase, createTestDatabase } from "./support/database.js";

// What a database is made of, as the catalog says: tables and columns, indexes, constraints, functions, triggers, migrations applied.
const SHAPE = `
  select 'column' k, table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') d
    from information_schema.columns where table_schema in ('public', 'drizzle')
  union all select 'index', indexdef from pg_indexes where schemaname in ('public', 'drizzle')
  union all select 'constraint', conrelid::regclass || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace
  union all select 'function', proname || ' ' || md5(prosrc) from pg_proc where pronamespace = 'public'::regnamespace
  union all select 'trigger', tgrelid::regclass || ' ' || tgname from pg_trigger where not tgisinternal
  union all select 'migration', hash from drizzle.__drizzle_migrations
  order by 1, 2`;

describe("a new embedded database starts from the build's template", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("pglite");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("exists for this code (npm run build made it) and is what initdb and the migrations make", async () => {
    expect(await readTemplate(MIGRATIONS_DIR)).toBeInstanceOf(Blob);
    const fromTemplate = await openDatabase({ dataDir: db.dataDir });
    const made = await PGlite.create(pgliteOptions(16));
    try {
      await migrate(drizzle(made), { migrationsFolder: MIGRATIONS_DIR });
      const templateShape = ((await fromTemplate.db.execute(SHAPE)) as unknown as { rows: unknown[] }).rows;
      expect(templateShape.length).toBeGreaterThan(100);
      expect(templateShape).toEqual((await made.query(SHAPE)).rows);
    } finally {
      await made.close();
      await fromTemplate.close();
    }
  }, 120_000);
});
