import { type Transport, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { openDatabase } from "../src/store/database.js";
import { backends, createTestDatabase, openMigratedBefore, sqlRows } from "./support/database.js";
import { as, outcome } from "./support/calls.js";
import { type TestServer, startTestServer } from "./support/server.js";

/**
 * Who may bind to a resource, with three users, an admin and a service, over
 * every protocol: alice owns her job, bob is a stranger to it, carol is let in.
 */

let t: TestServer;
const tokens: Record<"alice" | "bob" | "carol" | "service", string> = {} as never;
const VALUES = { alice: "sk-alice-value-000000000001", bob: "sk-bob-value-0000000000001", carol: "sk-carol-value-00000000001" };

beforeAll(async () => {
  t = await startTestServer({ env: { SECRETS_RESOLVE_BURST: "100000" } });
  for (const name of ["alice", "bob", "carol"] as const) tokens[name] = await t.token("user", name);
  tokens.service = await t.token("service", "scorer");
});
afterAll(async () => {
  await t?.stop();
});

const transports: Record<string, () => Transport> = {
  grpc: () => createGrpcTransport({ baseUrl: t.baseUrl }),
  connect: () => createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }),
  "grpc-web": () => createGrpcWebTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }),
};


describe.each(Object.keys(transports))("resources have owners, over %s", (protocol) => {
  let client: ReturnType<typeof createClient<typeof SecretsService>>;
  const job = `job-${protocol}`;
  let aliceBinding: string;
  let bobSecret: string;

  beforeAll(async () => {
    client = createClient(SecretsService, transports[protocol]!());
    const created = await client.createAndBindSecret(
      { secretName: `alice-${protocol}`, secretValue: VALUES.alice, fieldName: "OPENAI_API_KEY", resourceType: "SCORER_JOB", resourceId: job },
      as(tokens.alice),
    );
    aliceBinding = created.binding!.bindingId;
    bobSecret = (await client.createSecret({ secretName: `bob-${protocol}`, secretValue: VALUES.bob, fieldName: "K", isShared: true }, as(tokens.bob))).secret!.secretId;
  });

  it("the first to bind owns the resource", async () => {
    const { resourceAccess } = await client.getResourceAccess({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.alice));
    expect(resourceAccess).toMatchObject({ owner: "alice", grants: [] });
  });

  it("a stranger cannot bind to, unbind from or list it, and the refusal says nothing about what is bound there", async () => {
    const onTakenField = await outcome(client.bindSecret({ secretId: bobSecret, resourceType: "SCORER_JOB", resourceId: job, fieldName: "OPENAI_API_KEY" }, as(tokens.bob)));
    const onFreeField = await outcome(client.bindSecret({ secretId: bobSecret, resourceType: "SCORER_JOB", resourceId: job, fieldName: "OTHER_KEY" }, as(tokens.bob)));
    expect(onTakenField).toMatch(/^PermissionDenied: SCORER_JOB\/job-.* belongs to another principal/);
    expect(onFreeField).toBe(onTakenField);
    const unbindTaken = await outcome(client.unbindSecret({ resourceType: "SCORER_JOB", resourceId: job, fieldName: "OPENAI_API_KEY" }, as(tokens.bob)));
    const unbindFree = await outcome(client.unbindSecret({ resourceType: "SCORER_JOB", resourceId: job, fieldName: "OTHER_KEY" }, as(tokens.bob)));
    expect(unbindTaken).toMatch(/^PermissionDenied/);
    expect(unbindFree).toBe(unbindTaken);
    expect(await outcome(client.listBindings({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.bob)))).toMatch(/^PermissionDenied/);
    expect(await outcome(client.getResourceAccess({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.bob)))).toMatch(/^PermissionDenied/);
    expect(await outcome(client.grantResourceAccess({ resourceType: "SCORER_JOB", resourceId: job, principal: "bob" }, as(tokens.bob)))).toMatch(/^PermissionDenied/);
    // By id, alice's binding is indistinguishable from a missing one.
    const missing = "01a20000-0000-7000-8000-000000000000";
    for (const call of [(id: string) => client.getBinding({ bindingId: id }, as(tokens.bob)), (id: string) => client.unbindSecret({ bindingId: id }, as(tokens.bob))]) {
      expect((await outcome(call(aliceBinding))).replace(aliceBinding, "ID")).toBe((await outcome(call(missing))).replace(missing, "ID"));
    }
    // Create-and-bind is refused as a whole: no secret is left behind.
    const cab = await outcome(
      client.createAndBindSecret({ secretName: `bob-cab-${protocol}`, secretValue: VALUES.bob, fieldName: "OTHER_KEY", resourceType: "SCORER_JOB", resourceId: job }, as(tokens.bob)),
    );
    expect(cab).toMatch(/^PermissionDenied/);
    expect(await outcome(client.getSecret({ secretName: `bob-cab-${protocol}` }, as(tokens.bob)))).toMatch(/^NotFound/);
    // Lists without a resource filter leave alice's job out.
    const { bindings } = await client.listBindings({ resourceType: "SCORER_JOB" }, as(tokens.bob));
    expect(bindings.map((b) => b.resourceId)).not.toContain(job);
    const resolved = await client.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.service));
    expect(resolved.secrets.map((s) => s.value)).toEqual([VALUES.alice]);
  });

  it("a granted principal may bind, unbind and list; revoking the grant shuts it out again", async () => {
    const granted = await client.grantResourceAccess({ resourceType: "SCORER_JOB", resourceId: job, principal: "carol" }, as(tokens.alice));
    expect(granted.resourceAccess!.grants.map((g) => ({ principal: g.principal, grantedBy: g.grantedBy }))).toEqual([{ principal: "carol", grantedBy: "alice" }]);
    const carolSecret = (await client.createSecret({ secretName: `carol-${protocol}`, secretValue: VALUES.carol, fieldName: "K" }, as(tokens.carol))).secret!.secretId;
    const { binding } = await client.bindSecret({ secretId: carolSecret, resourceType: "SCORER_JOB", resourceId: job, fieldName: "CAROL_KEY" }, as(tokens.carol));
    // Visible to carol, so a taken field is ALREADY_EXISTS for her.
    expect(await outcome(client.bindSecret({ secretId: carolSecret, resourceType: "SCORER_JOB", resourceId: job, fieldName: "OPENAI_API_KEY" }, as(tokens.carol)))).toMatch(
      /^(AlreadyExists|FailedPrecondition)/,
    );
    const listed = await client.listBindings({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.carol));
    expect(listed.bindings.map((b) => b.fieldName).sort()).toEqual(["CAROL_KEY", "OPENAI_API_KEY"]);
    await client.revokeResourceAccess({ resourceType: "SCORER_JOB", resourceId: job, principal: "carol" }, as(tokens.alice));
    expect(await outcome(client.listBindings({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.carol)))).toMatch(/^PermissionDenied/);
    expect(await outcome(client.unbindSecret({ resourceType: "SCORER_JOB", resourceId: job, fieldName: "CAROL_KEY" }, as(tokens.carol)))).toMatch(/^PermissionDenied/);
    // Her own secret she may still take back, by the binding's id.
    await client.unbindSecret({ bindingId: binding!.bindingId }, as(tokens.carol));
    expect(await outcome(client.revokeResourceAccess({ resourceType: "SCORER_JOB", resourceId: job, principal: "carol" }, as(tokens.alice)))).toMatch(/^NotFound: carol has no grant/);
  });

  it("a service reads what is bound and resolves it, but cannot bind", async () => {
    const listed = await client.listBindings({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.service));
    expect(listed.bindings.map((b) => b.fieldName)).toEqual(["OPENAI_API_KEY"]);
    expect(await outcome(client.bindSecret({ secretId: bobSecret, resourceType: "SCORER_JOB", resourceId: job, fieldName: "SVC" }, as(tokens.service)))).toMatch(/^PermissionDenied/);
    expect(await outcome(client.grantResourceAccess({ resourceType: "SCORER_JOB", resourceId: job, principal: "scorer" }, as(tokens.service)))).toMatch(/^PermissionDenied/);
  });

  it("an admin may bind anywhere and transfer ownership", async () => {
    await client.bindSecret({ secretId: bobSecret, resourceType: "SCORER_JOB", resourceId: job, fieldName: "ADMIN_BOUND" }, as(t.adminToken));
    expect(await outcome(client.transferResourceOwnership({ resourceType: "SCORER_JOB", resourceId: job, newOwner: "bob" }, as(tokens.alice)))).toMatch(/^PermissionDenied/);
    const moved = await client.transferResourceOwnership({ resourceType: "SCORER_JOB", resourceId: job, newOwner: "bob" }, as(t.adminToken));
    expect(moved.resourceAccess).toMatchObject({ owner: "bob", lastUpdatedBy: expect.any(String) });
    await client.unbindSecret({ resourceType: "SCORER_JOB", resourceId: job, fieldName: "ADMIN_BOUND" }, as(tokens.bob));
    expect(await outcome(client.listBindings({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.alice)))).toMatch(/^PermissionDenied/);
  });

  it("GLOBAL has no owner: any user binds a shared secret there, nobody can be granted it", async () => {
    await client.bindSecret({ secretId: bobSecret, resourceType: "GLOBAL", resourceId: `global-${protocol}`, fieldName: "K" }, as(tokens.carol));
    expect(await outcome(client.grantResourceAccess({ resourceType: "GLOBAL", resourceId: `global-${protocol}`, principal: "carol" }, as(t.adminToken)))).toMatch(
      /^InvalidArgument: GLOBAL has no owner/,
    );
    const privateOne = (await client.createSecret({ secretName: `carol-private-${protocol}`, secretValue: VALUES.carol, fieldName: "K" }, as(tokens.carol))).secret!.secretId;
    expect(await outcome(client.bindSecret({ secretId: privateOne, resourceType: "GLOBAL", resourceId: `global-${protocol}`, fieldName: "P" }, as(tokens.carol)))).toMatch(
      /^FailedPrecondition: .*only shared secrets can be bound to GLOBAL.*visible to everyone and resolvable by every GLOBAL consumer/,
    );
  });
});

describe("the same rules over REST", () => {
  const rest = async (token: string, method: string, path: string, body?: object) => {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it("a stranger is refused with 403 and nothing about the bindings; the owner grants through REST", async () => {
    await rest(tokens.alice, "POST", "/api/3.0/mlflow/secrets/create-and-bind", {
      secret_name: "alice-rest",
      secret_value: VALUES.alice,
      field_name: "OPENAI_API_KEY",
      resource_type: "SCORER_JOB",
      resource_id: "job-rest",
    });
    const { secret } = (await rest(tokens.bob, "POST", "/api/2.0/mlflow/secrets/create", { secret_name: "bob-rest", secret_value: VALUES.bob, field_name: "K", is_shared: true })).json as { secret: { secret_id: string } };
    const refused = await rest(tokens.bob, "POST", "/api/2.0/mlflow/secrets/bind", { secret_id: secret.secret_id, resource_type: "SCORER_JOB", resource_id: "job-rest", field_name: "OPENAI_API_KEY" });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error_code: "PERMISSION_DENIED" });
    expect(String(refused.json.message)).not.toContain("OPENAI_API_KEY");
    const list = await rest(tokens.bob, "GET", "/api/2.0/mlflow/secrets/list-bindings?resource_type=SCORER_JOB&resource_id=job-rest");
    expect(list.status).toBe(403);
    const unbind = await rest(tokens.bob, "DELETE", "/api/2.0/mlflow/secrets/unbind?resource_type=SCORER_JOB&resource_id=job-rest&field_name=OPENAI_API_KEY");
    expect(unbind.status).toBe(403);
    const granted = await rest(tokens.alice, "POST", "/api/2.0/mlflow/secrets/resource-access/grant", { resource_type: "SCORER_JOB", resource_id: "job-rest", principal: "bob" });
    expect(granted).toMatchObject({ status: 200, json: { resource_access: { owner: "alice", grants: [{ principal: "bob", granted_by: "alice" }] } } });
    const bound = await rest(tokens.bob, "POST", "/api/2.0/mlflow/secrets/bind", { secret_id: secret.secret_id, resource_type: "SCORER_JOB", resource_id: "job-rest", field_name: "BOB_KEY" });
    expect(bound.status).toBe(200);
    const read = await rest(tokens.bob, "GET", "/api/2.0/mlflow/secrets/resource-access/get?resource_type=SCORER_JOB&resource_id=job-rest");
    expect(read.json).toMatchObject({ resource_access: { owner: "alice" } });
  });
});

describe("the audit trail answers who received a secret, and which version", () => {
  it("a resolve of several values leaves one event per secret, found by secret id, with its version", async () => {
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
    const ids: string[] = [];
    for (const [i, field] of ["A_KEY", "B_KEY", "C_KEY"].entries()) {
      const { secret } = await client.createAndBindSecret(
        { secretName: `audited-${i}`, secretValue: `sk-audited-resolve-00000${i}`, fieldName: field, resourceType: "SCORER_JOB", resourceId: "audited-job" },
        as(tokens.alice),
      );
      ids.push(secret!.secretId);
    }
    await client.updateSecret({ secretId: ids[1]!, secretValue: "sk-audited-resolve-new-001" }, as(tokens.alice));
    await client.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: "audited-job" }, as(tokens.service));
    await t.server.services.audit.flush();
    for (const [i, id] of ids.entries()) {
      const { events } = await client.listAuditEvents({ secretId: id, action: "ResolveResourceSecrets" }, as(t.adminToken));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ principal: "scorer", secretId: id, secretVersion: i === 1 ? 2 : 1, resourceType: "SCORER_JOB", resourceId: "audited-job", outcome: "ok" });
    }
    // Grants name their grantee.
    await client.grantResourceAccess({ resourceType: "SCORER_JOB", resourceId: "audited-job", principal: "carol" }, as(tokens.alice));
    await t.server.services.audit.flush();
    const { events } = await client.listAuditEvents({ action: "GrantResourceAccess", principal: "alice" }, as(t.adminToken));
    expect(events.find((e) => e.resourceId === "audited-job")).toMatchObject({ subject: "carol", outcome: "ok" });
  });

  it("a revoked binding names its field and secret, and field_name still resolves the others", async () => {
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
    const revokedId = (
      await client.createAndBindSecret({ secretName: "to-revoke", secretValue: "sk-to-be-revoked-0000001", fieldName: "OLD_KEY", resourceType: "SCORER_JOB", resourceId: "half-revoked" }, as(tokens.alice))
    ).secret!.secretId;
    await client.createAndBindSecret({ secretName: "still-good", secretValue: "sk-still-good-000000001", fieldName: "GOOD_KEY", resourceType: "SCORER_JOB", resourceId: "half-revoked" }, as(tokens.alice));
    await client.revokeSecret({ secretId: revokedId }, as(tokens.alice));
    const err = await outcome(client.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: "half-revoked" }, as(tokens.service)));
    expect(err).toContain("FailedPrecondition: the binding of OLD_KEY on SCORER_JOB/half-revoked is to secret");
    expect(err).toContain(revokedId);
    const good = await client.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: "half-revoked", fieldName: "GOOD_KEY" }, as(tokens.service));
    expect(good.secrets.map((s) => s.value)).toEqual(["sk-still-good-000000001"]);
  });
});

describe.each(backends())("existing bindings migrate to owned resources (%s)", (backend) => {
  it("each resource is owned by the principal that made its oldest binding; GLOBAL stays unowned", async () => {
    const db = await createTestDatabase(backend);
    try {
      // The schema as it was before resources had owners.
      const old = await openMigratedBefore(db, "resource_owners");
      const exec = (q: ReturnType<typeof sql>) => old.db.execute(q);
      const secret = (id: string, owner: string, shared: boolean) =>
        exec(sql`insert into secrets (secret_id, secret_name, field_name, is_shared, current_version, created_by, last_updated_by) values (${id}, ${id}, 'K', ${shared}, 1, ${owner}, ${owner})`);
      const binding = (id: string, secretId: string, type: string, rid: string, field: string, by: string, at: string) =>
        exec(sql`insert into secret_bindings (binding_id, secret_id, resource_type, resource_id, field_name, created_by, created_at) values (${id}, ${secretId}, ${type}, ${rid}, ${field}, ${by}, ${at}::timestamptz)`);
      await secret("s-alice", "alice", false);
      await secret("s-bob", "bob", true);
      await secret("s-carol", "carol", true);
      // bob bound to job-1 first, alice later; carol alone on job-2; GLOBAL has no owner.
      await binding("b1", "s-bob", "SCORER_JOB", "job-1", "A", "bob", "2026-01-01T00:00:00Z");
      await binding("b2", "s-alice", "SCORER_JOB", "job-1", "B", "alice", "2026-02-01T00:00:00Z");
      await binding("b3", "s-carol", "SCORER_JOB", "job-2", "A", "carol", "2026-03-01T00:00:00Z");
      await binding("b4", "s-carol", "GLOBAL", "global", "A", "carol", "2026-03-01T00:00:00Z");
      await old.close();

      const now = await openDatabase({ url: db.url, dataDir: db.dataDir });
      try {
        const owners = await sqlRows<{ resource_type: string; resource_id: string; owner: string }>(
          now.db,
          sql`select resource_type, resource_id, owner from resources order by resource_type, resource_id`,
        );
        expect(owners).toEqual([
          { resource_type: "SCORER_JOB", resource_id: "job-1", owner: "bob" },
          { resource_type: "SCORER_JOB", resource_id: "job-2", owner: "carol" },
        ]);
      } finally {
        await now.close();
      }
    } finally {
      await db.drop();
    }
  });
});
