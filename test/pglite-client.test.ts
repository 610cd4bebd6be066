import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUnavailable } from "../src/store/errors.js";
import { DRIZZLE_PARSERS, pgliteForDrizzle } from "../src/store/pglite-client.js";
import { pgliteOptions } from "../src/store/pglite-options.js";
import { StatementCounter } from "../src/store/statement-counter.js";

// The named-statement client against PGlite's own query(), on one real embedded database: the same answers,
// in the same shapes, under concurrency and transactions, with every exchange serialized.
describe("PGlite named-statement client", () => {
  let pg: PGlite;
  let client: ReturnType<typeof pgliteForDrizzle>;
  let db: ReturnType<typeof drizzle>;
  const counter = new StatementCounter();

  beforeAll(async () => {
    pg = await PGlite.create({ ...pgliteOptions(16), parsers: DRIZZLE_PARSERS });
    client = pgliteForDrizzle(pg, counter);
    db = drizzle(client as unknown as PGlite);
    await client.exec(`
      create table kinds (id int primary key, t text, b boolean, n bigint, j jsonb, bin bytea, ts timestamptz, tags text[]);
      create table plain (id int primary key, v text not null);
    `);
  });
  afterAll(async () => {
    await pg?.close();
  });

  const row = [7, "text ' with \" quotes", true, "9007199254740993", { nested: { list: [1, "two"] } }, new Uint8Array([0, 1, 254, 255]), "2026-12-02T04:05:06.789Z", ["a", "b,c", 'd"e']] as const;
  const select = "select id, t, b, n, j, bin, ts, tags from kinds where id = $1";

  it("binds and returns every type the schema uses exactly as PGlite's own query does, in both row modes", async () => {
    await client.query("insert into kinds values ($1, $2, $3, $4, $5, $6, $7, $8)", [...row]);
    await client.query("insert into kinds (id) values ($1)", [8]);
    for (const rowMode of ["array", "object"] as const) {
      for (const id of [7, 8]) {
        const ours = await client.query(select, [id], { rowMode });
        const theirs = await pg.query(select, [id], { rowMode });
        expect(ours.rows).toEqual(theirs.rows);
        expect(ours.fields).toEqual(theirs.fields);
      }
    }
    const [array] = (await client.query(select, [7], { rowMode: "array" })).rows as unknown[][];
    expect(array![4]).toEqual(row[4]);
    expect(array![7]).toEqual(row[7]);
  });

  it("reports affected rows, and runs statements drizzle builds and raw SQL alike", async () => {
    await client.query("insert into plain values (1, 'one'), (2, 'two'), (3, 'three')");
    const updated = await client.query("update plain set v = v || '!' where id >= $1", [2]);
    expect(updated.affectedRows).toBe(2);
    const viaDrizzle = await db.execute(sql`select v from plain where id = ${3}`);
    expect(viaDrizzle.rows).toEqual([{ v: "three!" }]);
  });

  it("answers concurrent callers each with their own result", async () => {
    await client.query("insert into plain select g, 'v' || g from generate_series(100, 199) g");
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => client.query("select v from plain where id = $1", [100 + i])));
    expect(answers.map((a) => a.rows[0])).toEqual(Array.from({ length: 100 }, (_, i) => ({ v: `v${100 + i}` })));
  });

  it("holds other callers out of an open transaction, and rolls it back whole when its work fails", async () => {
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const failing = client.transaction(async (tx) => {
      await tx.query("insert into plain values ($1, $2)", [500, "uncommitted"]);
      inside();
      await held;
      await tx.query("insert into plain values ($1, $2)", [500, "duplicate"]);
    });
    await entered;
    // Issued while the transaction is open: answered after it ended, so it never sees its rows.
    const outside = client.query("select count(*)::int as n from plain where id = $1", [500]);
    release();
    await expect(failing).rejects.toMatchObject({ code: "23505" });
    expect((await outside).rows).toEqual([{ n: 0 }]);
    expect((await client.query("select count(*)::int as n from plain where id = $1", [500])).rows).toEqual([{ n: 0 }]);
  });

  it("runs a statement left in flight before COMMIT, and turns COMMIT into a failure when that statement failed", async () => {
    let inFlight: Promise<unknown> | undefined;
    await client.transaction(async (tx) => {
      await tx.query("insert into plain values ($1, $2)", [600, "first"]);
      inFlight = tx.query("insert into plain values ($1, $2)", [601, "left in flight"]);
    });
    await inFlight;
    expect((await client.query("select count(*)::int as n from plain where id in (600, 601)")).rows).toEqual([{ n: 2 }]);

    let failed: Promise<unknown> | undefined;
    const rolledBack = client.transaction(async (tx) => {
      await tx.query("insert into plain values ($1, $2)", [602, "not kept"]);
      failed = tx.query("insert into plain values ($1, $2)", [600, "duplicate"]);
      failed.catch(() => {});
    });
    await expect(rolledBack).rejects.toMatchObject({ code: "25P02" });
    await expect(failed).rejects.toMatchObject({ code: "23505" });
    expect((await client.query("select count(*)::int as n from plain where id = $1", [602])).rows).toEqual([{ n: 0 }]);
  });

  it("refuses statements after a transaction ended", async () => {
    let leaked: Parameters<Parameters<typeof client.transaction>[0]>[0] | undefined;
    await client.transaction(async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.query("select 1")).rejects.toThrow("the transaction has ended");
  });

  it("reports a failed statement by its SQLSTATE without the values it was given, and is usable after it", async () => {
    const value = "sk-this-must-not-appear-0123456789";
    const err = await client.query("insert into plain values ($1, $2)", [1, value]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "23505" });
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(value);
    expect(String((err as Error).stack)).not.toContain(value);
    // A statement that does not parse is not kept, and the client goes on.
    await expect(client.query("selec 1")).rejects.toMatchObject({ code: "42601" });
    expect((await client.query("select v from plain where id = $1", [1])).rows).toEqual([{ v: "one" }]);
  });

  it("keeps at most 512 statements prepared, the least recently run evicted first, and runs an evicted one again", async () => {
    const first = "select v from plain where id = $1 and 0 = 0";
    const kept = "select v from plain where id = $1 and 1 = 1";
    expect((await client.query(first, [2])).rows).toEqual([{ v: "two!" }]);
    for (let i = 0; i < 600; i++) {
      await client.query(`select ${i}::int as i`);
      // Run all along: the most recently run are the ones kept.
      if (i % 100 === 0) await client.query(kept, [2]);
    }
    const prepared = await pg.query<{ statement: string }>("select statement from pg_prepared_statements");
    expect(prepared.rows.length).toBeLessThanOrEqual(512);
    expect(prepared.rows.length).toBeGreaterThan(400);
    expect(prepared.rows.map((r) => r.statement)).toContain(kept);
    expect(prepared.rows.map((r) => r.statement)).not.toContain(first);
    expect((await client.query(first, [2])).rows).toEqual([{ v: "two!" }]);
  });

  it("prepares a statement again after the table it reads changed shape: at once outside a transaction", async () => {
    const star = "select * from plain where id = $1";
    expect((await client.query(star, [3])).rows).toEqual([{ id: 3, v: "three!" }]);
    await client.exec("alter table plain add column extra text default 'x'");
    expect((await client.query(star, [3])).rows).toEqual([{ id: 3, v: "three!", extra: "x" }]);
    // Inside a transaction the failed Bind has aborted it: the caller sees the error, the next call the new shape.
    await client.exec("alter table plain add column more text default 'y'");
    await expect(client.transaction((tx) => tx.query(star, [3]))).rejects.toMatchObject({ code: "0A000" });
    expect((await client.transaction((tx) => tx.query(star, [3]))).rows).toEqual([{ id: 3, v: "three!", extra: "x", more: "y" }]);
  });

  it("counts each statement, and a transaction's BEGIN and end", async () => {
    const before = counter.snapshot();
    await client.query("select 1");
    await client.transaction(async (tx) => {
      await tx.query("select 1");
      await tx.query("select 2");
    });
    await client.ping();
    const after = counter.snapshot();
    expect(after.statements - before.statements).toBe(1 + 2 + 2);
    expect(after.transactions - before.transactions).toBe(1);
  });

  it("closes after the statements already queued, and answers later ones as unavailable, never with no rows", async () => {
    const closing = await PGlite.create({ ...pgliteOptions(16), parsers: DRIZZLE_PARSERS });
    const other = pgliteForDrizzle(closing, new StatementCounter());
    const queued = Array.from({ length: 6 }, (_, i) => other.query("select $1::int as x", [i]));
    await other.close();
    expect((await Promise.all(queued)).map((r) => r.rows)).toEqual(Array.from({ length: 6 }, (_, i) => [{ x: i }]));
    const late = await other.query("select $1::int as x", [7]).catch((e: unknown) => e);
    expect(isUnavailable(late)).toBe(true);
  });
});
