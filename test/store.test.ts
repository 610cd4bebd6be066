import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError } from "../src/secrets/errors.js";
import type { CreateSecretInput } from "../src/secrets/service.js";
import { AuditStore } from "../src/store/audit-store.js";
import type { AuditRecord } from "../src/store/records.js";
import type { Executor } from "../src/store/secrets-store.js";
import { backends, sqlRows } from "./support/database.js";
import { type TestServices, admin, alice, bob, caller, openTestServices, scorer } from "./support/services.js";

const VALUE = "sk-ant-api03-store-suite-value-0001";

function input(overrides: Partial<CreateSecretInput> = {}): CreateSecretInput {
  return {
    secretName: `s-${Math.random().toString(36).slice(2, 10)}`,
    secretValue: VALUE,
    secretFields: {},
    fieldName: "ANTHROPIC_API_KEY",
    authConfig: {},
    isShared: false,
    requestId: "",
    ...overrides,
  };
}

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }
  throw new Error("expected the call to fail");
}

describe.each(backends())("store and domain on %s", (backend) => {
  let s: TestServices;
  const rows = (query: ReturnType<typeof sql>) => sqlRows(s.database.db, query);

  beforeAll(async () => {
    s = await openTestServices(backend, { versionRetention: 3 });
  });
  afterAll(async () => {
    await s?.dispose();
  });

  describe("create", () => {
    it("creates a private secret that reads back masked, with provider and model unset", async () => {
      const { secret } = await s.secrets.createSecret(alice, input({ secretName: "plain" }));
      expect(secret).toMatchObject({ name: "plain", isShared: false, state: "ACTIVE", provider: null, model: null, maskedValue: "sk-...0001", version: 1, bindingCount: 0, createdBy: "alice", lastUpdatedBy: "alice" });
      const again = await s.secrets.getSecret(alice, { secretId: secret.id });
      expect(again).toEqual(secret);
      expect(await s.secrets.getSecret(alice, { secretName: "plain" })).toEqual(secret);
    });

    it("creates and binds in one step; GLOBAL makes the secret shared", async () => {
      const { secret, binding } = await s.secrets.createSecret(
        admin,
        input({ secretName: "claude-prod", provider: "anthropic", model: "claude-3-5-sonnet-20241022" }),
        { resourceType: "GLOBAL", resourceId: "global", fieldName: "ANTHROPIC_API_KEY" },
      );
      expect(secret).toMatchObject({ isShared: true, provider: "anthropic", model: "claude-3-5-sonnet-20241022", bindingCount: 1 });
      expect(binding).toMatchObject({ secretId: secret.id, resourceType: "GLOBAL", resourceId: "global", fieldName: "ANTHROPIC_API_KEY", createdBy: "root" });
    });

    it("is atomic: a binding conflict leaves no secret behind", async () => {
      const target = { resourceType: "SCORER_JOB", resourceId: "job-atomic", fieldName: "OPENAI_API_KEY" };
      await s.secrets.createSecret(alice, input({ secretName: "first" }), target);
      const err = await failure(s.secrets.createSecret(alice, input({ secretName: "second" }), target));
      expect(err.code).toBe("ALREADY_EXISTS");
      expect(err.message).toContain("SCORER_JOB/job-atomic already has a binding for OPENAI_API_KEY");
      await expect(s.secrets.getSecret(alice, { secretName: "second" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("stores multi-field values and masks each field", async () => {
      const { secret } = await s.secrets.createSecret(
        alice,
        input({ secretName: "aws", secretValue: undefined, secretFields: { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }, authConfig: { region: "eu-west-1" } }),
        { resourceType: "ENDPOINT", resourceId: "bedrock-1", fieldName: "AWS_CREDENTIALS" },
      );
      expect(secret.maskedValue).toBe("");
      expect(secret.maskedFields).toEqual({ AWS_ACCESS_KEY_ID: "AK...PLE", AWS_SECRET_ACCESS_KEY: "wJa...EKEY" });
      const [resolved] = await s.secrets.resolveResourceSecrets(scorer, "ENDPOINT", "bedrock-1");
      expect(resolved!.value).toEqual({ fields: { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } });
      expect(resolved!.authConfig).toEqual({ region: "eu-west-1" });
    });
  });

  describe("names are unique per scope", () => {
    it("among shared secrets", async () => {
      await s.secrets.createSecret(alice, input({ secretName: "team-key", isShared: true }));
      const err = await failure(s.secrets.createSecret(bob, input({ secretName: "team-key", isShared: true })));
      expect(err).toMatchObject({ code: "ALREADY_EXISTS", message: 'a shared secret named "team-key" already exists' });
    });

    it("per owner among private ones, independent of shared names", async () => {
      await s.secrets.createSecret(alice, input({ secretName: "mine" }));
      await s.secrets.createSecret(bob, input({ secretName: "mine" }));
      await s.secrets.createSecret(bob, input({ secretName: "mine", isShared: true }));
      const err = await failure(s.secrets.createSecret(alice, input({ secretName: "mine" })));
      expect(err.code).toBe("ALREADY_EXISTS");
      // By name, the caller's own private secret wins over a shared one of that name.
      expect((await s.secrets.getSecret(bob, { secretName: "mine" })).isShared).toBe(false);
      expect((await s.secrets.getSecret(bob, { secretName: "mine", isShared: true })).isShared).toBe(true);
      expect((await s.secrets.getSecret(alice, { secretName: "mine" })).createdBy).toBe("alice");
    });
  });

  describe("the database itself guards identity and history", () => {
    it("refuses to rename a secret or change its id", async () => {
      const { secret } = await s.secrets.createSecret(alice, input());
      await expect(rows(sql`update secrets set secret_name = 'renamed' where secret_id = ${secret.id}`)).rejects.toThrow();
      await expect(rows(sql`update secrets set secret_id = 'other' where secret_id = ${secret.id}`)).rejects.toThrow();
      await expect(rows(sql`update secrets set is_shared = true where secret_id = ${secret.id}`)).rejects.toThrow();
      expect((await s.secrets.getSecret(alice, { secretId: secret.id })).name).toBe(secret.name);
    });

    it("refuses to rewrite a stored value version", async () => {
      const { secret } = await s.secrets.createSecret(alice, input());
      await expect(rows(sql`update secret_versions set ciphertext = '\\x00' where secret_id = ${secret.id}`)).rejects.toThrow();
      await expect(rows(sql`update secret_versions set version = 9 where secret_id = ${secret.id}`)).rejects.toThrow();
    });

    it("deleting a secret deletes its versions and bindings", async () => {
      const { secret } = await s.secrets.createSecret(admin, input({ isShared: true }), { resourceType: "WORKSPACE", resourceId: "ws-cascade", fieldName: "KEY_A" });
      await s.secrets.bindSecret(admin, secret.id, { resourceType: "WORKSPACE", resourceId: "ws-cascade", fieldName: "KEY_B" });
      await s.secrets.updateSecret(admin, { secretId: secret.id, secretValue: "sk-second-value-000000", secretFields: {}, authConfig: {}, clearAuthConfig: false });
      await s.secrets.deleteSecret(admin, secret.id);
      expect(await rows(sql`select 1 from secret_bindings where secret_id = ${secret.id}`)).toHaveLength(0);
      expect(await rows(sql`select 1 from secret_versions where secret_id = ${secret.id}`)).toHaveLength(0);
      await expect(s.secrets.getSecret(admin, { secretId: secret.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await s.secrets.resolveResourceSecrets(scorer, "WORKSPACE", "ws-cascade")).toEqual([]);
    });
  });

  describe("idempotent creates", () => {
    it("returns the first result for a retry with the same request_id", async () => {
      const req = input({ requestId: "req-1" });
      const target = { resourceType: "SCORER_JOB", resourceId: "job-idem", fieldName: "OPENAI_API_KEY" };
      const first = await s.secrets.createSecret(alice, req, target);
      const retry = await s.secrets.createSecret(alice, { ...req }, target);
      expect(retry.secret.id).toBe(first.secret.id);
      expect(retry.binding?.id).toBe(first.binding?.id);
    });

    it("rejects the same request_id with a different payload, without echoing it", async () => {
      await s.secrets.createSecret(alice, input({ requestId: "req-2", secretName: "idem-2" }));
      const err = await failure(s.secrets.createSecret(alice, input({ requestId: "req-2", secretName: "idem-2", secretValue: "sk-different-value-123456" })));
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toBe("request_id req-2 was already used for a different request");
    });

    it("scopes request ids per principal", async () => {
      const a = await s.secrets.createSecret(alice, input({ requestId: "req-3", secretName: "idem-3" }));
      const b = await s.secrets.createSecret(bob, input({ requestId: "req-3", secretName: "idem-3" }));
      expect(a.secret.id).not.toBe(b.secret.id);
    });

    it("creates one secret when the same request races with itself", async () => {
      const req = input({ requestId: "req-race", secretName: "idem-race" });
      const results = await Promise.all(Array.from({ length: 8 }, () => s.secrets.createSecret(alice, { ...req })));
      expect(new Set(results.map((r) => r.secret.id)).size).toBe(1);
      expect(await rows(sql`select 1 from secrets where secret_name = 'idem-race'`)).toHaveLength(1);
    });
  });

  describe("updates", () => {
    it("a new value makes a new version; metadata alone does not", async () => {
      const { secret } = await s.secrets.createSecret(alice, input({ provider: "anthropic", model: "claude-3-opus" }));
      const v2 = await s.secrets.updateSecret(alice, { secretId: secret.id, secretValue: "sk-ant-new-value-99999", secretFields: {}, authConfig: {}, clearAuthConfig: false });
      expect(v2).toMatchObject({ version: 2, maskedValue: "sk...999", provider: "anthropic" });
      const meta = await s.secrets.updateSecret(alice, { secretId: secret.id, secretFields: {}, provider: "openai", model: "", authConfig: { region: "eu-west-1" }, clearAuthConfig: false });
      expect(meta).toMatchObject({ version: 2, provider: "openai", model: null, authConfig: { region: "eu-west-1" } });
      expect(meta.revision).toBe(v2.revision + 1);
      await s.secrets.bindSecret(alice, secret.id, { resourceType: "ENDPOINT", resourceId: "e-upd", fieldName: "KEY" });
      const [resolved] = await s.secrets.resolveResourceSecrets(scorer, "ENDPOINT", "e-upd");
      expect(resolved).toMatchObject({ value: { value: "sk-ant-new-value-99999" }, version: 2, provider: "openai" });
      expect(resolved!.model).toBeNull();
    });

    it("a stale etag is ABORTED and changes nothing", async () => {
      const { secret } = await s.secrets.createSecret(alice, input());
      const etag = `"${secret.revision}"`;
      await s.secrets.updateSecret(alice, { secretId: secret.id, provider: "p1", secretFields: {}, authConfig: {}, clearAuthConfig: false, etag });
      const err = await failure(s.secrets.updateSecret(alice, { secretId: secret.id, secretValue: "sk-lost-update-000000", secretFields: {}, authConfig: {}, clearAuthConfig: false, etag }));
      expect(err.code).toBe("ABORTED");
      expect(err.message).not.toContain("sk-lost-update");
      const now = await s.secrets.getSecret(alice, { secretId: secret.id });
      expect(now).toMatchObject({ version: 1, provider: "p1", maskedValue: secret.maskedValue });
    });

    it("concurrent updates with one etag: exactly one wins and versions stay contiguous", async () => {
      const { secret } = await s.secrets.createSecret(alice, input());
      const etag = `"${secret.revision}"`;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          s.secrets.updateSecret(alice, { secretId: secret.id, secretValue: `sk-concurrent-${i}-0000000`, secretFields: {}, authConfig: {}, clearAuthConfig: false, etag }),
        ),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      for (const o of outcomes) if (o.status === "rejected") expect((o.reason as ServiceError).code).toBe("ABORTED");
      expect((await s.store.listVersions(s.database.db, secret.id)).map((v) => v.version)).toEqual([2, 1]);
    });

    it("keeps only the configured number of value versions", async () => {
      const { secret } = await s.secrets.createSecret(alice, input());
      for (let i = 2; i <= 6; i++) {
        await s.secrets.updateSecret(alice, { secretId: secret.id, secretValue: `sk-version-${i}-00000000`, secretFields: {}, authConfig: {}, clearAuthConfig: false });
      }
      expect((await s.store.listVersions(s.database.db, secret.id)).map((v) => v.version)).toEqual([6, 5, 4]);
      expect((await s.secrets.getSecret(alice, { secretId: secret.id })).version).toBe(6);
    });

    it("refuses an update with nothing in it", async () => {
      const { secret } = await s.secrets.createSecret(alice, input());
      const err = await failure(s.secrets.updateSecret(alice, { secretId: secret.id, secretFields: {}, authConfig: {}, clearAuthConfig: false }));
      expect(err.code).toBe("INVALID_ARGUMENT");
    });
  });

  describe("bindings", () => {
    it("a private secret has at most one binding; a shared one any number", async () => {
      const { secret: priv } = await s.secrets.createSecret(alice, input());
      await s.secrets.bindSecret(alice, priv.id, { resourceType: "SCORER_JOB", resourceId: "p-1", fieldName: "KEY" });
      const err = await failure(s.secrets.bindSecret(alice, priv.id, { resourceType: "SCORER_JOB", resourceId: "p-2", fieldName: "KEY" }));
      expect(err.code).toBe("FAILED_PRECONDITION");
      const { secret: shared } = await s.secrets.createSecret(alice, input({ isShared: true }));
      for (let i = 0; i < 3; i++) await s.secrets.bindSecret(bob, shared.id, { resourceType: "SCORER_JOB", resourceId: `sh-${i}`, fieldName: "KEY" });
      expect((await s.secrets.getSecret(bob, { secretId: shared.id })).bindingCount).toBe(3);
    });

    it("concurrent binds of a private secret: one succeeds", async () => {
      const { secret } = await s.secrets.createSecret(alice, input());
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => s.secrets.bindSecret(alice, secret.id, { resourceType: "SCORER_JOB", resourceId: `race-${i}`, fieldName: "KEY" })),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    });

    it("unbinds by id or by resource and field", async () => {
      const { secret, binding } = await s.secrets.createSecret(admin, input({ isShared: true }), { resourceType: "ENDPOINT", resourceId: "unbind-1", fieldName: "A" });
      await s.secrets.bindSecret(admin, secret.id, { resourceType: "ENDPOINT", resourceId: "unbind-1", fieldName: "B" });
      await s.secrets.unbindSecret(admin, { bindingId: binding!.id });
      await s.secrets.unbindSecret(admin, { resourceType: "ENDPOINT", resourceId: "unbind-1", fieldName: "B" });
      expect((await s.secrets.getSecret(admin, { secretId: secret.id })).bindingCount).toBe(0);
      expect((await failure(s.secrets.getBinding(admin, binding!.id))).code).toBe("NOT_FOUND");
    });
  });

  describe("revocation", () => {
    it("keeps metadata readable and refuses the value", async () => {
      const { secret } = await s.secrets.createSecret(alice, input(), { resourceType: "SCORER_JOB", resourceId: "revoked-job", fieldName: "KEY" });
      const revoked = await s.secrets.revokeSecret(alice, secret.id);
      expect(revoked.state).toBe("REVOKED");
      expect((await s.secrets.getSecret(alice, { secretId: secret.id })).state).toBe("REVOKED");
      const err = await failure(s.secrets.resolveResourceSecrets(scorer, "SCORER_JOB", "revoked-job"));
      expect(err.code).toBe("FAILED_PRECONDITION");
      expect(err.message).toContain(secret.id);
      expect((await failure(s.secrets.updateSecret(alice, { secretId: secret.id, provider: "x", secretFields: {}, authConfig: {}, clearAuthConfig: false }))).code).toBe("FAILED_PRECONDITION");
    });
  });

  describe("paging", () => {
    it("walks every secret exactly once while others are inserted", async () => {
      const owner = caller(`pager-${backend}`, "user");
      const before = new Set<string>();
      for (let i = 0; i < 23; i++) before.add((await s.secrets.createSecret(owner, input({ secretName: `page-${i}` }))).secret.id);
      const seen: string[] = [];
      let token = "";
      let inserted = 0;
      do {
        const page = await s.secrets.listSecrets(owner, { isShared: false }, { pageSize: 5, pageToken: token });
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items.map((x) => x.id));
        token = page.nextPageToken;
        if (inserted < 4) await s.secrets.createSecret(owner, input({ secretName: `late-${inserted++}` }));
      } while (token);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
    });

    it("defaults to 50, caps at 1000, and refuses foreign or malformed tokens", async () => {
      expect((await failure(s.secrets.listSecrets(admin, {}, { pageSize: 1001, pageToken: "" }))).code).toBe("INVALID_ARGUMENT");
      expect((await failure(s.secrets.listSecrets(admin, {}, { pageSize: 0, pageToken: "%%%" }))).code).toBe("INVALID_ARGUMENT");
      const page = await s.secrets.listSecrets(admin, {}, { pageSize: 1, pageToken: "" });
      expect(page.nextPageToken).not.toBe("");
      const err = await failure(s.secrets.listSecrets(admin, { isShared: true }, { pageSize: 1, pageToken: page.nextPageToken }));
      expect(err.message).toContain("page_token");
      expect((await s.secrets.listSecrets(admin, {}, { pageSize: 0, pageToken: "" })).items.length).toBeLessThanOrEqual(50);
    });

    it("lists bindings by resource and by secret", async () => {
      const { secret } = await s.secrets.createSecret(admin, input({ isShared: true }));
      for (const f of ["A", "B", "C"]) await s.secrets.bindSecret(admin, secret.id, { resourceType: "WORKSPACE", resourceId: "lb-1", fieldName: f });
      const byResource = await s.secrets.listBindings(admin, { resourceType: "WORKSPACE", resourceId: "lb-1" }, { pageSize: 2, pageToken: "" });
      expect(byResource.items).toHaveLength(2);
      const rest = await s.secrets.listBindings(admin, { resourceType: "WORKSPACE", resourceId: "lb-1" }, { pageSize: 2, pageToken: byResource.nextPageToken });
      expect([...byResource.items, ...rest.items].map((b) => b.fieldName).sort()).toEqual(["A", "B", "C"]);
      expect(rest.nextPageToken).toBe("");
      expect((await s.secrets.listBindings(admin, { secretId: secret.id }, { pageSize: 0, pageToken: "" })).items).toHaveLength(3);
    });
  });

  describe("visibility", () => {
    it("another user cannot tell a private secret from a missing one", async () => {
      const { secret } = await s.secrets.createSecret(alice, input({ secretName: "alice-private" }), { resourceType: "SCORER_JOB", resourceId: "alice-job", fieldName: "KEY" });
      const missing = "01a20194-0000-7000-8000-00000000dead";
      const seenByBob = await failure(s.secrets.getSecret(bob, { secretId: secret.id }));
      const absent = await failure(s.secrets.getSecret(bob, { secretId: missing }));
      expect(seenByBob.code).toBe("NOT_FOUND");
      expect(seenByBob.message.replace(secret.id, "ID")).toBe(absent.message.replace(missing, "ID"));
      for (const attempt of [
        () => s.secrets.updateSecret(bob, { secretId: secret.id, provider: "x", secretFields: {}, authConfig: {}, clearAuthConfig: false }),
        () => s.secrets.revokeSecret(bob, secret.id),
        () => s.secrets.deleteSecret(bob, secret.id),
        () => s.secrets.bindSecret(bob, secret.id, { resourceType: "SCORER_JOB", resourceId: "bob-job", fieldName: "KEY" }),
        () => s.secrets.getSecret(bob, { secretName: "alice-private" }),
      ]) {
        expect((await failure(attempt())).code).toBe("NOT_FOUND");
      }
      const bobsList = await s.secrets.listSecrets(bob, {}, { pageSize: 1000, pageToken: "" });
      expect(bobsList.items.map((x) => x.id)).not.toContain(secret.id);
      // Alice's job is hers: Bob is refused before anything bound there is looked up.
      expect((await failure(s.secrets.unbindSecret(bob, { resourceType: "SCORER_JOB", resourceId: "alice-job", fieldName: "KEY" }))).code).toBe("PERMISSION_DENIED");
      expect((await failure(s.secrets.listBindings(bob, { resourceType: "SCORER_JOB", resourceId: "alice-job" }, { pageSize: 0, pageToken: "" }))).code).toBe("PERMISSION_DENIED");
      const bobsBindings = await s.secrets.listBindings(bob, { resourceType: "SCORER_JOB" }, { pageSize: 0, pageToken: "" });
      expect(bobsBindings.items.filter((b) => b.resourceId === "alice-job")).toEqual([]);
      expect((await s.secrets.getSecret(admin, { secretId: secret.id })).id).toBe(secret.id);
    });

    it("admins look names up across owners, and are told the owners when a name is not unique", async () => {
      const { secret: onlyAlice } = await s.secrets.createSecret(alice, input({ secretName: "alice-only-name" }));
      expect((await s.secrets.getSecret(admin, { secretName: "alice-only-name" })).id).toBe(onlyAlice.id);
      await s.secrets.createSecret(alice, input({ secretName: "everyones-name" }));
      await s.secrets.createSecret(bob, input({ secretName: "everyones-name" }));
      const ambiguous = await failure(s.secrets.getSecret(admin, { secretName: "everyones-name" }));
      expect(ambiguous.code).toBe("INVALID_ARGUMENT");
      expect(ambiguous.message).toBe('2 principals have a private secret named "everyones-name" (alice, bob): pass its secret_id');
      // Users keep seeing only their own.
      expect((await s.secrets.getSecret(bob, { secretName: "everyones-name" })).createdBy).toBe("bob");
      expect((await failure(s.secrets.getSecret(bob, { secretName: "alice-only-name" }))).code).toBe("NOT_FOUND");
    });

    it("shared secrets are readable by all, changed only by their creator or an admin", async () => {
      const { secret } = await s.secrets.createSecret(alice, input({ isShared: true }));
      expect((await s.secrets.getSecret(bob, { secretId: secret.id })).id).toBe(secret.id);
      const err = await failure(s.secrets.updateSecret(bob, { secretId: secret.id, provider: "x", secretFields: {}, authConfig: {}, clearAuthConfig: false }));
      expect(err.code).toBe("PERMISSION_DENIED");
      expect((await failure(s.secrets.deleteSecret(bob, secret.id))).code).toBe("PERMISSION_DENIED");
      expect((await s.secrets.updateSecret(admin, { secretId: secret.id, provider: "x", secretFields: {}, authConfig: {}, clearAuthConfig: false })).provider).toBe("x");
    });

    it("only services and admins resolve values", async () => {
      const err = await failure(s.secrets.resolveResourceSecrets(alice, "GLOBAL", "global"));
      expect(err.code).toBe("PERMISSION_DENIED");
    });
  });

  describe("audit events", () => {
    it("a batch is stored as given, whichever events share their other columns (a call's events are sent as one group)", async () => {
      const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
      const call = { at, principal: "grouped", action: "ResolveResourceSecrets", resourceType: "JOB", resourceId: "j-1", subject: null, outcome: "ok", requestId: "r-1", peer: "10.0.0.1:1" };
      const event = (own: Partial<AuditRecord>): AuditRecord => ({ ...call, id: uuidv7(), secretId: "s-1", secretVersion: 1, ...own });
      // Each column the events of a call share, changed alone in an event right behind one of the call's.
      const apart: Array<Partial<AuditRecord>> = [
        { at: new Date(at.getTime() + 1) },
        { principal: "grouped-too" },
        { action: "GetSecret" },
        { resourceType: null },
        { resourceId: "j-2" },
        { subject: "bob" },
        { outcome: "NOT_FOUND" },
        { requestId: "r-2" },
        { peer: "10.0.0.2:1" },
      ];
      const batch = [event({}), event({ secretId: "s-2", secretVersion: 7 }), event({ secretId: null, secretVersion: null }), ...apart.flatMap((v) => [event(v), event({})])];
      const store = new AuditStore();
      await store.insert(s.database.db, batch);
      const stored = [...(await store.list(s.database.db, { principal: "grouped" }, undefined, 100)), ...(await store.list(s.database.db, { principal: "grouped-too" }, undefined, 100))];
      expect(stored.sort((x, y) => x.id.localeCompare(y.id))).toEqual(batch);

      // What went out: groups for a batch in which some events share a call, plain events for one in which none do.
      const sent: unknown[] = [];
      const dialect = new PgDialect();
      const watched = { execute: (q: SQL) => (sent.push(JSON.parse(String(dialect.sqlToQuery(q).params[0]))), s.database.db.execute(q)) } as unknown as Executor;
      await store.insert(watched, [event({}), event({ secretId: "s-2" }), event({ requestId: "r-3" })]);
      await store.insert(watched, [event({ requestId: "r-4" }), event({ requestId: "r-5" })]);
      expect(sent[0]).toMatchObject([
        { requestId: "r-1", events: [{ secretId: "s-1" }, { secretId: "s-2" }] },
        { requestId: "r-3", events: [{ secretId: "s-1" }] },
      ]);
      expect(sent[1]).toEqual([expect.objectContaining({ requestId: "r-4", secretId: "s-1" }), expect.objectContaining({ requestId: "r-5", secretId: "s-1" })]);
      expect((sent[1] as object[]).some((e) => "events" in e)).toBe(false);
    });

    it("a call's events written at once carry one timestamp", async () => {
      // Enough of them that building them takes several milliseconds.
      const entries = Array.from({ length: 5_000 }, (_, i) => ({ action: "ResolveResourceSecrets", secretId: `s-${i}`, secretVersion: 1, outcome: "ok" }));
      await s.audit.writeNow(caller("one-moment", "service"), entries);
      const stored = await new AuditStore().list(s.database.db, { principal: "one-moment" }, undefined, 10_000);
      expect(stored).toHaveLength(5_000);
      expect(new Set(stored.map((e) => e.at.getTime())).size).toBe(1);
    });
  });

  describe("resolve", () => {
    it("returns every binding of a resource, or one by field", async () => {
      const { secret: a } = await s.secrets.createSecret(admin, input({ isShared: true, secretValue: "sk-openai-value-000001" }));
      const { secret: b } = await s.secrets.createSecret(admin, input({ isShared: true, secretValue: "sk-anthropic-value-0002", provider: "anthropic" }));
      await s.secrets.bindSecret(admin, a.id, { resourceType: "SCORER_JOB", resourceId: "multi", fieldName: "OPENAI_API_KEY" });
      await s.secrets.bindSecret(admin, b.id, { resourceType: "SCORER_JOB", resourceId: "multi", fieldName: "ANTHROPIC_API_KEY" });
      const all = await s.secrets.resolveResourceSecrets(scorer, "SCORER_JOB", "multi");
      expect(all.map((r) => [r.fieldName, r.value])).toEqual([
        ["ANTHROPIC_API_KEY", { value: "sk-anthropic-value-0002" }],
        ["OPENAI_API_KEY", { value: "sk-openai-value-000001" }],
      ]);
      const one = await s.secrets.resolveResourceSecrets(scorer, "SCORER_JOB", "multi", "OPENAI_API_KEY");
      expect(one).toHaveLength(1);
      expect((await failure(s.secrets.resolveResourceSecrets(scorer, "SCORER_JOB", "multi", "NOPE"))).code).toBe("NOT_FOUND");
    });

    it("a tampered or relocated ciphertext is DATA_LOSS naming the secret; others keep working", async () => {
      const { secret: good } = await s.secrets.createSecret(admin, input({ isShared: true, secretValue: "sk-good-value-0000001" }), { resourceType: "ENDPOINT", resourceId: "good", fieldName: "KEY" });
      const { secret: bad } = await s.secrets.createSecret(admin, input({ isShared: true, secretValue: "sk-bad-value-00000002" }), { resourceType: "ENDPOINT", resourceId: "bad", fieldName: "KEY" });
      const { secret: moved } = await s.secrets.createSecret(admin, input({ isShared: true, secretValue: "sk-moved-value-000003" }), { resourceType: "ENDPOINT", resourceId: "moved", fieldName: "KEY" });
      await rows(sql`update secret_versions set wrapped_dek = set_byte(wrapped_dek, 20, get_byte(wrapped_dek, 20) # 1) where secret_id = ${bad.id}`);
      // Relocation: the good secret's sealed value copied into another secret's row.
      await rows(sql`delete from secret_versions where secret_id = ${moved.id}`);
      await rows(sql`insert into secret_versions (secret_id, version, kek_version, nonce, ciphertext, wrapped_dek, created_by)
        select ${moved.id}, version, kek_version, nonce, ciphertext, wrapped_dek, created_by from secret_versions where secret_id = ${good.id}`);
      for (const [resource, id] of [["bad", bad.id], ["moved", moved.id]] as const) {
        const err = await failure(s.secrets.resolveResourceSecrets(scorer, "ENDPOINT", resource));
        expect(err.code).toBe("DATA_LOSS");
        expect(err.message).toContain(id);
        expect(err.message).not.toMatch(/sk-/);
      }
      expect((await s.secrets.resolveResourceSecrets(scorer, "ENDPOINT", "good"))[0]!.value).toEqual({ value: "sk-good-value-0000001" });
    });
  });

  describe("bad input is refused with a message that never echoes the value", () => {
    const cases: Array<[string, Partial<CreateSecretInput>, string]> = [
      ["empty name", { secretName: "" }, "secret_name is required"],
      ["long name", { secretName: "n".repeat(257) }, "secret_name is longer than 256"],
      ["name with control characters", { secretName: "a\u0000b" }, "a control character, U+0000, at position 2"],
      // Look-alike names: each displays like an innocent one.
      ["name with a zero-width space", { secretName: "open\u200bai-key" }, "an invisible formatting character (zero-width or text-direction), U+200B, at position 5"],
      ["name with a right-to-left override", { secretName: "key-\u202egpj.exe" }, "U+202E, at position 5"],
      ["name that was not UTF-8", { secretName: "bad\ufffd\ufffdname" }, "the replacement character (the text was not valid UTF-8), U+FFFD, at position 4"],
      ["name with an unpaired surrogate", { secretName: "x\ud800y" }, "an unpaired surrogate (not valid UTF-16), U+D800, at position 2"],
      ["name with a private-use character", { secretName: "\u{1F600}\ue000" }, "a private-use character, U+E000, at position 2"],
      ["field name with a zero-width joiner", { fieldName: "OPENAI\u200dKEY" }, "U+200D, at position 7"],
      ["field name not an env var", { fieldName: "1-BAD" }, "environment variable name"],
      ["long provider", { provider: "p".repeat(65) }, "provider is longer than 64"],
      ["long model", { model: "m".repeat(257) }, "model is longer than 256"],
      ["both value kinds", { secretFields: { A: "x" } }, "not both"],
      ["no value", { secretValue: undefined }, "secret_value or secret_fields is required"],
      ["empty value", { secretValue: "" }, "secret_value must not be empty"],
      ["oversized value", { secretValue: `sk-${"x".repeat(70_000)}` }, "the limit is 65536"],
      ["credential in auth_config", { authConfig: { api_key: VALUE } }, "must not hold credentials"],
    ];
    it.each(cases)("%s", async (_name, overrides, message) => {
      const err = await failure(s.secrets.createSecret(alice, input(overrides)));
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toContain(message);
      expect(err.message).not.toContain(VALUE);
      expect(err.message).not.toContain("xxxxxxxx");
    });

    it.each([
      ["resource_type lower case", { resourceType: "scorer_job", resourceId: "x", fieldName: "K" }, "resource_type must match"],
      ["resource_type too long", { resourceType: `A${"B".repeat(50)}`, resourceId: "x", fieldName: "K" }, "resource_type must match"],
      ["resource_id too long", { resourceType: "JOB", resourceId: "r".repeat(256), fieldName: "K" }, "resource_id is longer than 255"],
      ["resource_id empty", { resourceType: "JOB", resourceId: "", fieldName: "K" }, "resource_id is required"],
      ["resource_id with a zero-width space", { resourceType: "JOB", resourceId: "job\u200b-1", fieldName: "K" }, "resource_id contains an invisible formatting character (zero-width or text-direction), U+200B, at position 4"],
    ])("binding target: %s", async (_name, target, message) => {
      const err = await failure(s.secrets.createSecret(alice, input(), target));
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
      expect(err.message).toContain(message);
    });

    it("names and resource ids are stored in NFC, so one name has one spelling", async () => {
      // "é" as e + combining acute accent (NFD) and as one code point (NFC).
      const { secret, binding } = await s.secrets.createSecret(alice, input({ secretName: "cafe\u0301-key" }), { resourceType: "JOB", resourceId: "re\u0301sume\u0301", fieldName: "K" });
      expect(secret.name).toBe("caf\u00e9-key");
      expect(binding!.resourceId).toBe("r\u00e9sum\u00e9");
      expect((await s.secrets.getSecret(alice, { secretName: "caf\u00e9-key" })).id).toBe(secret.id);
      expect((await s.secrets.getSecret(alice, { secretName: "cafe\u0301-key" })).id).toBe(secret.id);
      expect(await s.secrets.resolveResourceSecrets(admin, "JOB", "re\u0301sume\u0301")).toHaveLength(1);
      const dup = await failure(s.secrets.createSecret(alice, input({ secretName: "caf\u00e9-key" })));
      expect(dup.code).toBe("ALREADY_EXISTS");
    });

    it("unknown ids are NOT_FOUND", async () => {
      for (const attempt of [
        () => s.secrets.getSecret(admin, { secretId: "nope" }),
        () => s.secrets.getBinding(admin, "nope"),
        () => s.secrets.bindSecret(admin, "nope", { resourceType: "JOB", resourceId: "1", fieldName: "K" }),
        () => s.secrets.deleteSecret(admin, "nope"),
        () => s.secrets.unbindSecret(admin, { bindingId: "nope" }),
      ]) {
        expect((await failure(attempt())).code).toBe("NOT_FOUND");
      }
    });
  });
});
