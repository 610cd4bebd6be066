import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditEvent, SecretsService } from "../gen/secrets/v1/service_pb.js";
import { errorSummary } from "../src/logging.js";
import { sqlRows } from "./support/database.js";
import { type TestServer, startTestServer } from "./support/server.js";

const VALUE = "sk-audited-value-0000000001";
const NEW_VALUE = "sk-audited-value-0000000002";

let t: TestServer;
let client: ReturnType<typeof createClient<typeof SecretsService>>;
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}`, "x-request-id": `req-${Math.random().toString(36).slice(2)}` } });
let alice: string;
let bob: string;
let service: string;

beforeAll(async () => {
  t = await startTestServer({ env: { SECRETS_RESOLVE_RATE: "1", SECRETS_RESOLVE_BURST: "3" } });
  client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
  alice = await t.token("user", "alice");
  bob = await t.token("user", "bob");
  service = await t.token("service", "resolver");
});
afterAll(async () => {
  await t?.stop();
});

async function events(filter: { principal?: string; secretId?: string; action?: string } = {}): Promise<AuditEvent[]> {
  await t.server.services.audit.flush();
  const out: AuditEvent[] = [];
  let pageToken = "";
  do {
    const page = await client.listAuditEvents({ ...filter, pageSize: 100, pageToken }, as(t.adminToken));
    out.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

const exec = (q: ReturnType<typeof sql>) => t.server.services.database.db.execute(q);

describe("audit trail", () => {
  it("every change leaves exactly one event with its principal, secret, request id and outcome", async () => {
    const requestId = "req-create-1";
    const { secret } = await client.createAndBindSecret(
      { secretName: "audited", secretValue: VALUE, fieldName: "OPENAI_API_KEY", resourceType: "SCORER_JOB", resourceId: "job-a" },
      { headers: { authorization: `Bearer ${alice}`, "x-request-id": requestId } },
    );
    const id = secret!.secretId;
    await client.updateSecret({ secretId: id, secretValue: NEW_VALUE }, as(alice));
    const { binding } = await client.bindSecret({ secretId: id, resourceType: "SCORER_JOB", resourceId: "job-b", fieldName: "K" }, as(alice)).catch(() => ({ binding: undefined }));
    expect(binding).toBeUndefined(); // private: at most one binding
    await client.unbindSecret({ resourceType: "SCORER_JOB", resourceId: "job-a", fieldName: "OPENAI_API_KEY" }, as(alice));
    await client.revokeSecret({ secretId: id }, as(alice));
    await client.deleteSecret({ secretId: id }, as(alice));

    const trail = await events({ secretId: id });
    const byAction = (a: string) => trail.filter((e) => e.action === a && e.principal === "alice");
    for (const action of ["CreateAndBindSecret", "UpdateSecret", "UnbindSecret", "RevokeSecret", "DeleteSecret"]) {
      expect(byAction(action).map((e) => e.outcome), action).toEqual(["ok"]);
    }
    expect(byAction("BindSecret").map((e) => e.outcome)).toEqual(["FAILED_PRECONDITION"]);
    expect(byAction("CreateAndBindSecret")[0]).toMatchObject({ requestId, resourceType: "SCORER_JOB", resourceId: "job-a", peer: expect.stringContaining("127.0.0.1") });
  });

  it("denied calls leave a denied event, also when the caller is told NOT_FOUND", async () => {
    const { secret } = await client.createSecret({ secretName: "alice-only", secretValue: VALUE, fieldName: "K" }, as(alice));
    const err = await client.updateSecret({ secretId: secret!.secretId, provider: "x" }, as(bob)).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.NotFound });
    await client.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: "job-a" }, as(bob)).catch(() => {});
    const bobs = await events({ principal: "bob" });
    expect(bobs.find((e) => e.action === "UpdateSecret")).toMatchObject({ outcome: "denied", secretId: secret!.secretId });
    expect(bobs.find((e) => e.action === "ResolveResourceSecrets")).toMatchObject({ outcome: "denied" });
  });

  it("a resolve whose audit event cannot be written fails and returns no value", async () => {
    await client.createAndBindSecret({ secretName: "fail-closed", secretValue: VALUE, fieldName: "K", resourceType: "GLOBAL", resourceId: "fail-closed" }, as(alice));
    await exec(sql`alter table audit_events rename to audit_events_away`);
    try {
      const res = await client.resolveResourceSecrets({ resourceType: "GLOBAL", resourceId: "fail-closed" }, as(service)).catch((e: unknown) => ConnectError.from(e));
      expect(res).toBeInstanceOf(ConnectError);
      expect(res).toMatchObject({ code: Code.Unavailable });
      expect(JSON.stringify(res)).not.toContain(VALUE);
      // A change cannot commit without its event either.
      const list = await client.listSecrets({}, as(alice));
      const id = list.secrets.find((s) => s.secretName === "fail-closed")!.secretId;
      await expect(client.updateSecret({ secretId: id, secretValue: NEW_VALUE }, as(alice))).rejects.toThrow();
      expect((await client.getSecret({ secretId: id }, as(alice))).secret?.version).toBe(1);
    } finally {
      await exec(sql`alter table audit_events_away rename to audit_events`);
    }
    const ok = await client.resolveResourceSecrets({ resourceType: "GLOBAL", resourceId: "fail-closed" }, as(service));
    expect(ok.secrets[0]?.value).toBe(VALUE);
  });

  it("a refused call with hostile identifiers is still recorded, and does not jam the events queued behind it", async () => {
    const resolver = await t.token("service", "hostile-resolver"); // a fresh rate-limit bucket
    const nul = "job\u0000nul";
    const huge = "j".repeat(100_000);
    const calls = [
      client.getSecret({ secretId: "id\u0000with-nul" }, as(bob)),
      client.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: nul }, as(resolver)),
      client.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: huge }, as(resolver)),
    ];
    for (const outcome of await Promise.allSettled(calls)) expect(outcome.status).toBe("rejected");
    await client.createSecret({ secretName: "after-hostile", secretValue: VALUE, fieldName: "K" }, as(bob));

    const bobs = await events({ principal: "bob" });
    const ids = bobs.filter((e) => e.action === "GetSecret" && e.outcome === "INVALID_ARGUMENT").map((e) => e.secretId);
    expect(ids).toContain("id\ufffdwith-nul");
    const resolves = await events({ principal: "hostile-resolver", action: "ResolveResourceSecrets" });
    const resources = resolves.filter((e) => e.outcome === "INVALID_ARGUMENT").map((e) => e.resourceId);
    expect(resources).toContain("job\ufffdnul");
    const long = resources.find((r) => r.startsWith("jjj"));
    expect(long?.length).toBeLessThanOrEqual(300);
    expect(long?.endsWith("…")).toBe(true);
    expect(bobs.some((e) => e.action === "CreateSecret" && e.outcome === "ok")).toBe(true);
  });

  it("is readable by admins only, with filters and paging", async () => {
    expect(await client.listAuditEvents({}, as(alice)).catch((e: unknown) => ConnectError.from(e).code)).toBe(Code.PermissionDenied);
    const all = await events({ principal: "alice", action: "CreateSecret" });
    expect(all.length).toBeGreaterThan(0);
    const first = await client.listAuditEvents({ principal: "alice", pageSize: 1 }, as(t.adminToken));
    expect(first.events).toHaveLength(1);
    expect(first.nextPageToken).not.toBe("");
    const future = await client.listAuditEvents({ startTime: BigInt(Date.now() + 3_600_000) }, as(t.adminToken));
    expect(future.events).toEqual([]);
    const rest = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/audit-events?principal=alice&page_size=2`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    const body = (await rest.json()) as { events: Array<{ principal: string; event_id: string }> };
    expect(body.events).toHaveLength(2);
    expect(body.events.every((e) => e.principal === "alice")).toBe(true);
  });
});

describe("resolve rate limit", () => {
  it("a burst beyond the bucket gets RESOURCE_EXHAUSTED with retry-after, then recovers", async () => {
    const limited = await t.token("service", "bursty");
    await client.createAndBindSecret({ secretName: "limited", secretValue: VALUE, fieldName: "K", resourceType: "GLOBAL", resourceId: "limited" }, as(alice));
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        client.resolveResourceSecrets({ resourceType: "GLOBAL", resourceId: "limited" }, as(limited)).then(
          () => "ok",
          (e: unknown) => ConnectError.from(e),
        ),
      ),
    );
    // The bucket holds 3 and refills 1 per second: however slowly the burst arrived, no more got through.
    const elapsedSeconds = (performance.now() - started) / 1000;
    const oks = results.filter((r) => r === "ok").length;
    expect(oks).toBeGreaterThanOrEqual(3);
    expect(oks).toBeLessThanOrEqual(3 + Math.ceil(elapsedSeconds));
    const refused = results.find((r) => r !== "ok") as ConnectError;
    expect(refused.code).toBe(Code.ResourceExhausted);
    const retryAfter = Number(refused.metadata.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const rest = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/audit-events`, { headers: { authorization: `Bearer ${limited}` } });
    expect(rest.status).toBe(403);
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    await expect(client.resolveResourceSecrets({ resourceType: "GLOBAL", resourceId: "limited" }, as(limited))).resolves.toBeDefined();
  });
});

describe("no leaks", () => {
  it("an error summary for a log line keeps a failed query's first line, never its parameters", async () => {
    const err = await exec(sql`select * from no_such_table where name = ${VALUE}`).catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain(VALUE); // drizzle does append them
    const summary = errorSummary(err);
    expect(summary.message).toMatch(/^Failed query/);
    expect(JSON.stringify(summary)).not.toContain(VALUE);
  });

  it("an error summary names a driver's data exception by its code: its message quotes the input", async () => {
    const err = await exec(sql`select ${VALUE}::uuid`).catch((e: unknown) => e);
    const driverError = (err as Error).cause as Error & { code: string };
    expect(driverError.code).toBe("22P02");
    expect(driverError.message).toContain(VALUE);
    expect(errorSummary(driverError)).toEqual({ name: driverError.name, message: "data exception (SQLSTATE 22P02)" });
  });

  it("values and tokens appear nowhere in logs or audit rows", async () => {
    const logs = t.logs();
    const rows = (await sqlRows<{ row: string }>(t.server.services.database.db, sql`select t::text as row from audit_events t`)).map((r) => r.row).join("\n");
    expect(rows.length).toBeGreaterThan(100);
    for (const needle of [VALUE, NEW_VALUE, alice, bob, service, t.adminToken]) {
      expect(logs).not.toContain(needle);
      expect(rows).not.toContain(needle);
    }
  });
});
