import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../src/auth/principal.js";
import type { CreateSecretInput } from "../src/secrets/service.js";
import { openServices, type Services } from "../src/services.js";
import { ServiceError } from "../src/secrets/errors.js";
import { backends, createTestDatabase, sqlRows, type TestDatabase } from "./support/database.js";
import { type TestServices, admin, alice, openTestServices, scorer } from "./support/services.js";
import { type TcpProxy, startTcpProxy } from "./support/tcp-proxy.js";

// What each RPC sends to the database, counted by the driver wrapper (BEGIN and COMMIT included, its
// audit event too): a change that adds a round trip to a hot path fails here, not only in the bench.
const input = (name: string, overrides: Partial<CreateSecretInput> = {}): CreateSecretInput => ({
  secretName: name,
  secretValue: `sk-statements-${name}-0123456789`,
  secretFields: {},
  fieldName: "OPENAI_API_KEY",
  authConfig: {},
  isShared: true,
  requestId: "",
  ...overrides,
});

describe.each(backends())("statements per call on %s", (backend) => {
  let s: TestServices;
  let n = 0;
  const name = () => `stmt-${++n}`;

  /** Statements sent by fn and by the audit events it left (flushed before counting). */
  async function statementsOf(fn: () => Promise<unknown>): Promise<number> {
    await s.audit.flush();
    const before = s.database.counts().statements;
    await fn();
    await s.audit.flush();
    return s.database.counts().statements - before;
  }

  beforeAll(async () => {
    s = await openTestServices(backend);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it("counts a transaction's BEGIN and COMMIT, or ROLLBACK, with its statements", async () => {
    const before = s.database.counts();
    await s.database.db.transaction(async (tx) => {
      await tx.execute("select 1");
    });
    await expect(
      s.database.db.transaction(async (tx) => {
        await tx.execute("select 1");
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await s.database.db.execute("select 1");
    const after = s.database.counts();
    expect(after.transactions - before.transactions).toBe(2);
    expect(after.statements - before.statements).toBe(3 + 3 + 1);
  });

  it("reads: one query, and one insert for the batch of audit events", async () => {
    const { secret } = await s.secrets.createSecret(admin, input(name()), { resourceType: "JOB", resourceId: "reads", fieldName: "OPENAI_API_KEY" });
    expect(await statementsOf(() => s.secrets.getSecret(admin, { secretId: secret.id }))).toBe(2);
    expect(await statementsOf(() => s.secrets.listSecrets(admin, {}, { pageSize: 100, pageToken: "" }))).toBe(2);
    // The resolve's audit event is written before the value leaves, in its own statement.
    expect(await statementsOf(() => s.secrets.resolveResourceSecrets(scorer, "JOB", "reads"))).toBe(2);
  });

  it("concurrent resolves share the inserts of their audit events", async () => {
    await s.secrets.createSecret(admin, input(name()), { resourceType: "JOB", resourceId: "shared-inserts", fieldName: "OPENAI_API_KEY" });
    const resolves = 10;
    const statements = await statementsOf(() => Promise.all(Array.from({ length: resolves }, () => s.secrets.resolveResourceSecrets(scorer, "JOB", "shared-inserts"))));
    // One query each; their events in fewer inserts than resolves (each would be 2 × 10).
    expect(statements).toBeGreaterThanOrEqual(resolves + 1);
    expect(statements).toBeLessThan(2 * resolves);
  });

  it("creates: the secret, its first version and its binding in one statement", async () => {
    // BEGIN, the resource claimed (or found), the three rows, the audit event, COMMIT.
    expect(await statementsOf(() => s.secrets.createSecret(admin, input(name()), { resourceType: "JOB", resourceId: name(), fieldName: "K" }))).toBe(5);
    expect(await statementsOf(() => s.secrets.createSecret(admin, input(name()), { resourceType: "JOB", resourceId: "reads", fieldName: name().toUpperCase().replace("-", "_") }))).toBe(5);
    expect(await statementsOf(() => s.secrets.createSecret(admin, input(name())))).toBe(4);
    // A user's create is checked against the quotas: the owner's advisory lock, then its secrets and their bytes.
    expect(await statementsOf(() => s.secrets.createSecret(alice, input(name(), { isShared: false })))).toBe(4 + 2);
  });

  it("updates: the new version, the pruning and the new revision in one statement", async () => {
    const update = (by: Caller, secretId: string, value: string) => s.secrets.updateSecret(by, { secretId, secretValue: value, secretFields: {}, authConfig: {}, clearAuthConfig: false });
    const { secret } = await s.secrets.createSecret(admin, input(name()));
    // BEGIN, the locking read, the update with its version and pruning, the audit event, COMMIT.
    for (let i = 0; i < 12; i++) expect(await statementsOf(() => update(admin, secret.id, `sk-statements-new-${i}-0123456789`))).toBe(5);
    expect(await statementsOf(() => s.secrets.revokeSecret(admin, secret.id))).toBe(5);
    const own = await s.secrets.createSecret(alice, input(name(), { isShared: false }));
    // A user's new value is checked against the byte quota: the advisory lock and the owner's usage.
    expect(await statementsOf(() => update(alice, own.secret.id, "sk-statements-alice-0123456789"))).toBe(5 + 2);
  });

  it("a change whose audit event fails (sent with its COMMIT) commits nothing, and the connection serves the next call", async () => {
    const { secret } = await s.secrets.createSecret(admin, input(name()));
    await s.database.db.execute(sql.raw("create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit refused'; end $$"));
    await s.database.db.execute(sql.raw("create trigger refuse_audit before insert on audit_events for each row when (new.request_id = 'refuse-audit') execute function refuse_audit()"));
    try {
      const refused = { ...admin, requestId: "refuse-audit" };
      const update = (by: Caller) => s.secrets.updateSecret(by, { secretId: secret.id, secretValue: "sk-statements-refused-0123456789", secretFields: {}, authConfig: {}, clearAuthConfig: false });
      await expect(update(refused)).rejects.toThrow(/audit refused|rolled back/);
      expect((await s.secrets.getSecret(admin, { secretId: secret.id })).version).toBe(1);
      await expect(s.secrets.createSecret(refused, input(name()), { resourceType: "JOB", resourceId: "refused", fieldName: "K" })).rejects.toThrow();
      expect((await s.secrets.listBindings(admin, { resourceType: "JOB", resourceId: "refused" }, { pageSize: 10, pageToken: "" })).items).toEqual([]);
      expect((await update(admin)).version).toBe(2);
    } finally {
      await s.database.db.execute(sql.raw("drop trigger refuse_audit on audit_events"));
      await s.database.db.execute(sql.raw("drop function refuse_audit()"));
    }
  });

  it("a query rendered once runs on each transaction's own connection: it sees that transaction's rows", async () => {
    const { secret } = await s.secrets.createSecret(admin, input(name()));
    // Rendered outside any transaction first, then run inside two.
    expect(await s.store.getSecret(s.database.db, secret.id)).toBeDefined();
    const seen = await s.store.transaction(async (tx) => {
      const fresh = input(name());
      const { secret: inner } = await s.store.createSecret(tx, { id: randomUUID(), name: fresh.secretName, fieldName: "K", isShared: true, provider: null, model: null, authConfig: {}, maskedValue: "sk-...", maskedFields: {}, createdBy: "root" }, Buffer.from('{"value":"x"}'));
      const inTx = await s.store.getSecret(tx, inner.id);
      // PGlite is one connection: a query outside the transaction would wait for it to end.
      const outside = backend === "postgres" ? await s.store.getSecret(s.database.db, inner.id) : undefined;
      throw Object.assign(new Error("roll back"), { seen: { inTx: inTx?.id === inner.id, outside: outside === undefined } });
    }).catch((e: { seen?: unknown }) => e.seen);
    expect(seen).toEqual({ inTx: true, outside: true });
  });
});

// Round trips as the network sees them (a proxy between the service and PostgreSQL counts each time the service
// spoke after PostgreSQL had answered): statements sent together, without waiting, are one.
describe.runIf(backends().includes("postgres"))("round trips to PostgreSQL per call", () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let s: Services;
  let n = 0;
  const name = () => `trips-${++n}`;
  const update = (by: Caller, secretId: string) =>
    s.secrets.updateSecret(by, { secretId, secretValue: `sk-trips-${++n}-0123456789`, secretFields: {}, authConfig: {}, clearAuthConfig: false });

  /** Of fn's last run: the runs before prepare its statements on both of the pool's connections (a first run adds a round trip). */
  async function roundTripsOf(fn: () => Promise<unknown>): Promise<number> {
    for (let i = 0; i < 3; i++) await fn();
    await s.audit.flush();
    const before = proxy.roundTrips();
    await fn();
    return proxy.roundTrips() - before;
  }

  beforeAll(async () => {
    testDb = await createTestDatabase("postgres");
    const direct = new URL(testDb.url!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) }, { coalesceMs: 20 });
    const url = new URL(testDb.url!);
    url.port = String(proxy.port);
    s = await openServices({ databaseUrl: url.toString(), dataDir: testDb.dataDir, kek: { kind: "keystore", dir: `${testDb.dataDir}/keystore` }, dbPoolSize: 2 });
  });
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
    await testDb?.drop();
  });

  it("a read is one; a change two at most: BEGIN with its locking read or claim, then the write with its audit event and COMMIT", async () => {
    const { secret } = await s.secrets.createSecret(admin, input(name()), { resourceType: "JOB", resourceId: "trips", fieldName: "K" });
    expect(await roundTripsOf(() => s.secrets.getSecret(admin, { secretId: secret.id }))).toBe(1);
    expect(await roundTripsOf(() => update(admin, secret.id))).toBe(2);
    expect(await roundTripsOf(() => s.secrets.createSecret(admin, input(name()), { resourceType: "JOB", resourceId: "trips", fieldName: name().toUpperCase().replace("-", "_") }))).toBe(2);
    // Nothing to read first: BEGIN, the three rows, the audit event and COMMIT in one write.
    expect(await roundTripsOf(() => s.secrets.createSecret(admin, input(name())))).toBe(1);
    const revoke = async () => s.secrets.revokeSecret(admin, (await s.secrets.createSecret(admin, input(name()))).secret.id);
    expect(await roundTripsOf(revoke)).toBe(1 + 2);
  });

  it("a user's write adds one for its quota check (the owner's lock and the counts, sent behind the write)", async () => {
    const bound = () => ({ resourceType: "JOB", resourceId: `alice-${name()}`, fieldName: "K" });
    const { secret } = await s.secrets.createSecret(alice, input(name(), { isShared: false }), bound());
    expect(await roundTripsOf(() => update(alice, secret.id))).toBe(3);
    expect(await roundTripsOf(() => s.secrets.createSecret(alice, input(name(), { isShared: false }), bound()))).toBe(3);
  });

  it("a user's quota check takes the owner's lock before it reads the owner's usage, behind the write", async () => {
    await s.secrets.createSecret(alice, input(name(), { isShared: false }));
    proxy.clearStatements();
    await s.secrets.createSecret(alice, input(name(), { isShared: false }));
    // Its own snapshot, taken after the lock is held, is what keeps two writers at the limit from both passing.
    const kinds = proxy.statements().map((q) => {
      if (/^begin$|^commit$/i.test(q)) return q.toLowerCase();
      if (q.includes("pg_advisory_xact_lock")) return "lock";
      if (q.includes("stored_bytes") && q.startsWith("select")) return "usage";
      if (q.includes('"audit_events"')) return "audit";
      return q.includes("inserted_secret") ? "insert" : q.slice(0, 30);
    });
    expect(kinds).toEqual(["begin", "insert", "lock", "usage", "audit", "commit"]);
  });

  it("a write that fails while its audit event and COMMIT are already sent is the call's error, and commits nothing", async () => {
    const taken = input(name());
    await s.secrets.createSecret(admin, taken, { resourceType: "JOB", resourceId: "trips-taken", fieldName: "K" });
    const failed = await s.secrets.createSecret(admin, taken, { resourceType: "JOB", resourceId: "trips-other", fieldName: "K" }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ServiceError);
    expect((failed as ServiceError).code).toBe("ALREADY_EXISTS");
    expect((await s.secrets.listBindings(admin, { resourceType: "JOB", resourceId: "trips-other" }, { pageSize: 10, pageToken: "" })).items).toEqual([]);
    await s.audit.flush();
    const events = await sqlRows<{ outcome: string }>(s.database.db, sql`select outcome from audit_events where action = 'CreateAndBindSecret' and resource_id = 'trips-other'`);
    expect(events.map((e) => e.outcome)).toEqual(["ALREADY_EXISTS"]);
  });
});
