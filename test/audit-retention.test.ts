import { sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRetention, PRUNE_ACTION } from "../src/audit/audit-retention.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { AuditStore } from "../src/store/audit-store.js";
import { type Database, openDatabase } from "../src/store/database.js";
import type { AuditRecord } from "../src/store/records.js";
import { type TestDatabase, backends, createTestDatabase, sqlRows } from "./support/database.js";
import { startTestServer } from "./support/server.js";
import { type TestServices, openTestServices } from "./support/services.js";

const DAY = 86_400_000;
const PRUNE_TARGET = /^before=(\d{4}-\d\d-\d\dT[\d:.]+Z) deleted=(\d+)$/;

function events(n: number, ageDays: number, principal: string): AuditRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: uuidv7(),
    at: new Date(Date.now() - ageDays * DAY),
    principal,
    action: "GetSecret",
    secretId: null,
    secretVersion: null,
    resourceType: null,
    resourceId: null,
    subject: null,
    outcome: "ok",
    requestId: `${principal}-${i}`,
    peer: "127.0.0.1",
  }));
}

type Row = { principal: string; action: string; resource_type: string | null; resource_id: string | null; request_id: string };
const rows = (db: Database["db"]) => sqlRows<Row>(db, sql`select principal, action, resource_type, resource_id, request_id from audit_events order by event_id`);

describe.each(backends())("audit retention on %s", (backend) => {
  let s: TestServices;
  beforeAll(async () => {
    s = await openTestServices(backend);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it("deletes the events past the retention in batches, each batch with its own audit event; newer events stay", async () => {
    const store = new AuditStore();
    await store.insert(s.database.db, [...events(5, 100, "old"), ...events(2, 29, "recent"), ...events(1, 0, "today")]);
    const retention = new AuditRetention({ db: s.database.db, store, audit: s.audit, retentionDays: 30, batchSize: 2 });
    expect(await retention.prune()).toBe(5);

    const left = await rows(s.database.db);
    expect(left.filter((r) => r.principal === "old")).toEqual([]);
    expect(left.filter((r) => r.principal !== "system").map((r) => r.principal)).toEqual(["recent", "recent", "today"]);
    const pruned = left.filter((r) => r.principal === "system");
    expect(pruned.map((r) => [r.action, r.resource_type])).toEqual(Array(3).fill([PRUNE_ACTION, "AUDIT_LOG"]));
    const targets = pruned.map((r) => PRUNE_TARGET.exec(r.resource_id ?? ""));
    expect(targets.map((m) => Number(m?.[2]))).toEqual([2, 2, 1]);
    const cutoff = Date.parse(targets[0]![1]!);
    expect(Math.abs(cutoff - (Date.now() - 30 * DAY))).toBeLessThan(60_000);
    expect(new Set(pruned.map((r) => r.request_id)).size).toBe(1);

    // Nothing left to prune: nothing deleted, nothing written.
    expect(await retention.prune()).toBe(0);
    expect(await rows(s.database.db)).toHaveLength(left.length);
  });
});

describe.skipIf(!inject("postgresUrl"))("audit retention with several replicas, and in the server", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("postgres");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("replicas pruning at once delete every old event once and both finish", async () => {
    const s = await openTestServices("postgres");
    const other = await openDatabase({ url: s.testDb.url, dataDir: s.testDb.dataDir });
    try {
      const store = new AuditStore();
      await store.insert(s.database.db, events(50, 90, "old"));
      const [a, b] = [s.database.db, other.db].map((handle) => new AuditRetention({ db: handle, store, audit: s.audit, retentionDays: 30, batchSize: 5 }));
      const [na, nb] = await Promise.all([a!.prune(), b!.prune()]);
      expect(na + nb).toBe(50);
      const left = await rows(s.database.db);
      expect(left.filter((r) => r.principal === "old")).toEqual([]);
      const deleted = left.filter((r) => r.action === PRUNE_ACTION).map((r) => Number(PRUNE_TARGET.exec(r.resource_id ?? "")?.[2]));
      expect(deleted.reduce((x, y) => x + y, 0)).toBe(50);
    } finally {
      await other.close();
      await s.dispose();
    }
  });

  it("SECRETS_AUDIT_RETENTION_DAYS: the server prunes in the background from its start, and logs it", async () => {
    const seeded = await openDatabase({ url: db.url, dataDir: db.dataDir });
    await new AuditStore().insert(seeded.db, [...events(3, 400, "ancient"), ...events(2, 1, "fresh")]);
    await seeded.close();
    // The server's own directory holds its keystore; its database is the one seeded above.
    const t = await startTestServer({ backend: "pglite", env: { DATABASE_URL: db.url!, SECRETS_AUDIT_RETENTION_DAYS: "365" } });
    try {
      const db2 = t.server.services.database.db;
      await expect.poll(async () => (await rows(db2)).filter((r) => r.principal === "ancient").length, { timeout: 10_000 }).toBe(0);
      expect((await rows(db2)).filter((r) => r.principal === "fresh")).toHaveLength(2);
      await expect.poll(() => t.logs(), { timeout: 5_000 }).toContain('"deleted":3');
      expect(t.logs()).toContain("audit events past their retention deleted");
    } finally {
      await t.stop();
    }
  });

  it("the setting is validated: unset keeps forever, 0 is refused", () => {
    expect(loadConfig({}).auditRetentionDays).toBeUndefined();
    expect(loadConfig({ SECRETS_AUDIT_RETENTION_DAYS: "90" }).auditRetentionDays).toBe(90);
    expect(() => loadConfig({ SECRETS_AUDIT_RETENTION_DAYS: "0" })).toThrow(ConfigError);
  });
});
