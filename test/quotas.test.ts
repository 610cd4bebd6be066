import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import type { Caller } from "../src/auth/principal.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { ServiceError } from "../src/secrets/errors.js";
import { sql } from "drizzle-orm";
import { type Services, openServices } from "../src/services.js";
import { openDatabase } from "../src/store/database.js";
import { backends, createTestDatabase, openMigratedBefore, sqlRows } from "./support/database.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { type TestServices, admin, caller, openTestServices } from "./support/services.js";

const PAGE = { pageSize: 100, pageToken: "" };
const create = (s: Pick<Services, "secrets">, who: Caller, name: string, value: string) =>
  s.secrets.createSecret(who, { secretName: name, secretValue: value, secretFields: {}, fieldName: "K", authConfig: {}, isShared: false, requestId: "" });
const update = (s: Pick<Services, "secrets">, who: Caller, secretId: string, value: string) =>
  s.secrets.updateSecret(who, { secretId, secretValue: value, secretFields: {}, authConfig: {}, clearAuthConfig: false });
/** A value whose stored ciphertext is `bytes` long: {"value":"…"} is 12 bytes around it, the GCM tag 16 after it. */
const valueStoredAs = (bytes: number, c = "x") => c.repeat(bytes - 28);

async function refusal(p: Promise<unknown>): Promise<ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  expect((err as ServiceError).code).toBe("RESOURCE_EXHAUSTED");
  return err as ServiceError;
}

describe.each(backends())("per-principal quotas on %s", (backend) => {
  let s: TestServices;
  beforeAll(async () => {
    s = await openTestServices(backend, { versionRetention: 2, quotas: { maxSecretsPerPrincipal: 3, maxBytesPerPrincipal: 400 } });
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it("secrets per principal: the one past the limit is RESOURCE_EXHAUSTED, not created, and audited; others and admins unaffected", async () => {
    const alice = caller("alice", "user");
    for (let i = 0; i < 3; i++) await create(s, alice, `a-${i}`, `sk-small-value-000${i}`);
    const err = await refusal(create(s, alice, "a-3", "sk-small-value-0003"));
    expect(err.message).toContain("alice may have at most 3 secrets (SECRETS_MAX_SECRETS_PER_PRINCIPAL)");
    expect(err.message).not.toContain("sk-small");
    expect((await s.secrets.listSecrets(alice, {}, PAGE)).items.map((x) => x.name)).toEqual(["a-0", "a-1", "a-2"]);
    await s.audit.flush();
    const events = await s.secrets.listAuditEvents(admin, { principal: "alice", action: "CreateSecret" }, PAGE);
    expect(events.items.map((e) => e.outcome)).toEqual(["RESOURCE_EXHAUSTED", "ok", "ok", "ok"]);

    // The binding path is the same create.
    await refusal(s.secrets.createSecret(alice, { secretName: "a-bound", secretValue: "sk-small-value-0004", secretFields: {}, fieldName: "K", authConfig: {}, isShared: false, requestId: "" }, { resourceType: "SCORER_JOB", resourceId: "job-q", fieldName: "K" }));
    await create(s, caller("bob", "user"), "b-0", "sk-small-value-0000");
    for (let i = 0; i < 5; i++) await create(s, admin, `admin-${i}`, "sk-small-value-0000");

    const [first] = (await s.secrets.listSecrets(alice, {}, PAGE)).items;
    await s.secrets.deleteSecret(alice, first!.id);
    await create(s, alice, "a-3", "sk-small-value-0003");
  });

  it("stored bytes per principal count every retained version, on create and on update", async () => {
    const carol = caller("carol", "user");
    const { secret } = await create(s, carol, "c-0", valueStoredAs(128));
    await update(s, carol, secret.id, valueStoredAs(178)); // 128 + 178
    await update(s, carol, secret.id, valueStoredAs(178)); // retention 2 dropped version 1: 178 + 178 = 356

    const onCreate = await refusal(create(s, carol, "c-1", valueStoredAs(128, "y"))); // 484
    expect(onCreate.message).toContain("carol's secrets would take 484 bytes, over the 400 allowed (SECRETS_MAX_BYTES_PER_PRINCIPAL");
    expect(onCreate.message).not.toContain("yyyy");
    const onUpdate = await refusal(update(s, carol, secret.id, valueStoredAs(300, "z"))); // 300 + 178
    expect(onUpdate.message).toContain("would take 478 bytes");
    expect(onUpdate.message).not.toContain("zzzz");
    expect((await s.secrets.getSecret(carol, { secretId: secret.id })).version).toBe(3);
    expect((await s.store.listVersions(s.store.db, secret.id)).map((v) => v.version)).toEqual([3, 2]);

    // Metadata-only updates store no value and pass; an admin's update is exempt.
    await s.secrets.updateSecret(carol, { secretId: secret.id, provider: "openai", secretFields: {}, authConfig: {}, clearAuthConfig: false });
    expect((await update(s, admin, secret.id, valueStoredAs(300))).version).toBe(4);
  });

  it("concurrent creates at the limit: exactly the allowed number succeed", async () => {
    const dave = caller("dave", "user");
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => create(s, dave, `d-${i}`, "sk-small-value-0000")));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(3);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected").map((o) => (o.reason as ServiceError).code);
    expect(refused).toEqual(Array(5).fill("RESOURCE_EXHAUSTED"));
    expect((await s.secrets.listSecrets(dave, {}, PAGE)).items).toHaveLength(3);
  });
});

describe("quotas through the server", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { SECRETS_MAX_SECRETS_PER_PRINCIPAL: "1" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("gRPC answers RESOURCE_EXHAUSTED, REST 429 REQUEST_LIMIT_EXCEEDED, each naming the limit", async () => {
    const user = await t.token("user", "erin");
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
    const headers = { authorization: `Bearer ${user}` };
    await client.createSecret({ secretName: "e-0", secretValue: "sk-quota-e2e-00000000", fieldName: "K" }, { headers });
    const err = await client.createSecret({ secretName: "e-1", secretValue: "sk-quota-e2e-00000001", fieldName: "K" }, { headers }).catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.ResourceExhausted);
    expect(ConnectError.from(err).rawMessage).toContain("erin may have at most 1 secrets");

    const rest = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/create`, {
      method: "POST",
      headers,
      body: JSON.stringify({ secret_name: "e-2", secret_value: "sk-quota-e2e-00000002", field_name: "K" }),
    });
    expect(rest.status).toBe(429);
    expect(await rest.json()).toMatchObject({ error_code: "REQUEST_LIMIT_EXCEEDED", message: expect.stringContaining("SECRETS_MAX_SECRETS_PER_PRINCIPAL") });
  });

  it("limits are validated at start: 0 disables, negatives are refused", () => {
    expect(loadConfig({ SECRETS_MAX_SECRETS_PER_PRINCIPAL: "0", SECRETS_MAX_BYTES_PER_PRINCIPAL: "0" }).quotas).toEqual({ maxSecretsPerPrincipal: 0, maxBytesPerPrincipal: 0 });
    expect(loadConfig({}).quotas).toEqual({ maxSecretsPerPrincipal: 10_000, maxBytesPerPrincipal: 64 * 1024 * 1024 });
    expect(() => loadConfig({ SECRETS_MAX_BYTES_PER_PRINCIPAL: "-1" })).toThrow(ConfigError);
  });
});

describe.each(backends())("the byte totals a quota check reads (%s)", (backend) => {
  /** Each secret's stored_bytes beside the ciphertext its retained versions really hold. */
  const totals = (s: { database: { db: Parameters<typeof sqlRows>[0] } }) =>
    sqlRows<{ secret_id: string; stored: number; actual: number }>(
      s.database.db,
      sql`select s.secret_id, s.stored_bytes as stored, (select coalesce(sum(octet_length(v.ciphertext)), 0)::int from secret_versions v where v.secret_id = s.secret_id) as actual from secrets s order by s.secret_id`,
    );

  it("stay the sum of the retained versions when a lower retention prunes several at once", async () => {
    const db = await createTestDatabase(backend);
    const open = (versionRetention: number) => openServices({ databaseUrl: db.url, dataDir: db.dataDir, kek: { kind: "keystore", dir: join(db.dataDir, "keystore") }, versionRetention });
    const dave = caller("dave", "user");
    try {
      const five = await open(5);
      const { secret } = await create(five, dave, "d-0", valueStoredAs(100));
      for (const bytes of [110, 120, 130, 140]) await update(five, dave, secret.id, valueStoredAs(bytes));
      await five.close();
      // Reopened keeping 2: the next value drops versions 1 to 4 in one statement.
      const two = await open(2);
      try {
        await update(two, dave, secret.id, valueStoredAs(150));
        const rows = await totals(two);
        expect(rows.map((r) => r.stored)).toEqual(rows.map((r) => r.actual));
        expect(await two.store.usageOf(two.database.db, "dave")).toEqual({ secrets: 1, bytes: 140 + 150 });
      } finally {
        await two.close();
      }
    } finally {
      await db.drop();
    }
    // Two opens of the database: on PGlite, seconds each when the machine is busy.
  }, 60_000);

  it("of secrets written before the totals existed are backfilled by the migration", async () => {
    const db = await createTestDatabase(backend);
    try {
      const old = await openMigratedBefore(db, "owner_stored_bytes");
      const exec = (q: ReturnType<typeof sql>) => old.db.execute(q);
      await exec(sql`insert into kek_versions (version, fingerprint, source, state) values (1, 'f', 'keystore', 'active')`);
      for (const [id, owner, sizes] of [["s-1", "erin", [40, 50]], ["s-2", "erin", [60]], ["s-3", "frank", []]] as const) {
        await exec(sql`insert into secrets (secret_id, secret_name, field_name, is_shared, current_version, created_by, last_updated_by) values (${id}, ${id}, 'K', false, ${sizes.length}, ${owner}, ${owner})`);
        for (const [i, size] of sizes.entries()) {
          await exec(sql`insert into secret_versions (secret_id, version, kek_version, nonce, ciphertext, wrapped_dek, created_by) values (${id}, ${i + 1}, 1, ${Buffer.alloc(12)}, ${Buffer.alloc(size)}, ${Buffer.alloc(60)}, ${owner})`);
        }
      }
      await old.close();
      const now = await openDatabase({ url: db.url, dataDir: db.dataDir });
      try {
        expect(await totals({ database: now })).toEqual([
          { secret_id: "s-1", stored: 90, actual: 90 },
          { secret_id: "s-2", stored: 60, actual: 60 },
          { secret_id: "s-3", stored: 0, actual: 0 },
        ]);
      } finally {
        await now.close();
      }
    } finally {
      await db.drop();
    }
  }, 60_000);
});
