import { type Transport, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { TokenService } from "../gen/secrets/v1/tokens_pb.js";
import { sqlRows } from "./support/database.js";
import { as, outcome } from "./support/calls.js";
import { type TestServer, startTestServer } from "./support/server.js";

/** Tokens through the API: issued by an admin on a running server, used at once, listed, revoked. */

let t: TestServer;
const issued: string[] = [];
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.stop();
});


const transports: Record<string, () => Transport> = {
  grpc: () => createGrpcTransport({ baseUrl: t.baseUrl }),
  connect: () => createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }),
};

describe.each(Object.keys(transports))("over %s", (protocol) => {
  let tokens: ReturnType<typeof createClient<typeof TokenService>>;
  let secrets: ReturnType<typeof createClient<typeof SecretsService>>;
  beforeAll(() => {
    tokens = createClient(TokenService, transports[protocol]!());
    secrets = createClient(SecretsService, transports[protocol]!());
  });

  it("an admin issues a user and a service token on the running server; each works at once and says who it is", async () => {
    const user = await tokens.createApiToken({ name: `dana-${protocol}`, roles: ["user"], description: "dana's laptop" }, as(t.adminToken));
    const service = await tokens.createApiToken({ name: `scorer-${protocol}`, roles: ["service"], ttlSeconds: 3600n }, as(t.adminToken));
    issued.push(user.token, service.token);
    expect(user.token).toMatch(/^sst_[A-Za-z0-9_-]{43}$/);
    expect(user.apiToken).toMatchObject({ name: `dana-${protocol}`, roles: ["user"], description: "dana's laptop", createdBy: "bootstrap-admin", expiresAt: 0n, revokedAt: 0n });
    expect(Number(service.apiToken!.expiresAt)).toBeGreaterThan(Date.now() + 3500_000);

    const me = await tokens.whoAmI({}, as(user.token));
    expect(me).toMatchObject({ principal: `dana-${protocol}`, roles: ["user"], authenticatedBy: "api_token", tokenId: user.apiToken!.tokenId, expiresAt: 0n });
    // The user creates and binds; the service resolves.
    await secrets.createAndBindSecret({ secretName: `k-${protocol}`, secretValue: "sk-made-by-dana-0000000001", fieldName: "OPENAI_API_KEY", resourceType: "SCORER_JOB", resourceId: `job-${protocol}` }, as(user.token));
    const resolved = await secrets.resolveResourceSecrets({ resourceType: "SCORER_JOB", resourceId: `job-${protocol}` }, as(service.token));
    expect(resolved.secrets[0]!.value).toBe("sk-made-by-dana-0000000001");
    await expect.poll(async () => (await t.server.services.tokenStore.get(user.apiToken!.tokenId))?.lastUsedAt, { timeout: 3000 }).toBeInstanceOf(Date);
  });

  it("only admins issue tokens; a token for an existing principal with another role must be confirmed", async () => {
    const user = await tokens.createApiToken({ name: `erin-${protocol}`, roles: ["user"] }, as(t.adminToken));
    issued.push(user.token);
    expect(await outcome(tokens.createApiToken({ name: "mallory", roles: ["admin"] }, as(user.token)))).toBe("PermissionDenied: CreateApiToken is not allowed for role user");
    expect(await outcome(tokens.createApiToken({ name: `erin-${protocol}`, roles: ["admin"] }, as(t.adminToken)))).toMatch(
      new RegExp(`^FailedPrecondition: principal erin-${protocol} already holds live tokens with role user; .*same_principal`),
    );
    const confirmed = await tokens.createApiToken({ name: `erin-${protocol}`, roles: ["admin"], samePrincipal: true }, as(t.adminToken));
    issued.push(confirmed.token);
    expect((await tokens.whoAmI({}, as(confirmed.token))).roles).toEqual(["admin"]);
  });

  it.each([
    ["no name", { name: "", roles: ["user"] }, "InvalidArgument: name is required"],
    ["a name with a space", { name: "a b", roles: ["user"] }, "InvalidArgument: name must be 1-128 characters"],
    ["no role", { name: "x", roles: [] }, "InvalidArgument: roles must name exactly one of admin, user, service"],
    ["two roles", { name: "x", roles: ["user", "admin"] }, "InvalidArgument: roles must name exactly one"],
    ["an unknown role", { name: "x", roles: ["root"] }, "InvalidArgument: roles must name exactly one"],
    ["ttl and expiry", { name: "x", roles: ["user"], ttlSeconds: 60n, expiresAt: BigInt(Date.now() + 60_000) }, "InvalidArgument: give ttl_seconds or expires_at, not both"],
    ["an expiry in the past", { name: "x", roles: ["user"], expiresAt: BigInt(Date.now() - 1000) }, "InvalidArgument: expires_at must be in the future"],
    ["a negative ttl", { name: "x", roles: ["user"], ttlSeconds: -5n }, "InvalidArgument: ttl_seconds must not be negative"],
  ] as const)("refuses %s", async (_what, req, message) => {
    expect(await outcome(tokens.createApiToken({ ...req, roles: [...req.roles] }, as(t.adminToken)))).toContain(message);
  });

  it("lists never carry a token or its hash; users see their own, admins all", async () => {
    const a = await tokens.createApiToken({ name: `fay-${protocol}`, roles: ["user"] }, as(t.adminToken));
    const b = await tokens.createApiToken({ name: `gus-${protocol}`, roles: ["user"] }, as(t.adminToken));
    issued.push(a.token, b.token);
    const own = await tokens.listApiTokens({}, as(a.token));
    expect(own.apiTokens.map((x) => x.name)).toEqual([`fay-${protocol}`]);
    expect(await outcome(tokens.listApiTokens({ name: `gus-${protocol}` }, as(a.token)))).toMatch(/^PermissionDenied/);
    const all = await tokens.listApiTokens({ pageSize: 1000 }, as(t.adminToken));
    expect(all.apiTokens.map((x) => x.name)).toEqual(expect.arrayContaining([`fay-${protocol}`, `gus-${protocol}`, "bootstrap-admin"]));
    const one = await tokens.listApiTokens({ name: `gus-${protocol}` }, as(t.adminToken));
    expect(one.apiTokens.map((x) => x.tokenId)).toEqual([b.apiToken!.tokenId]);
    const hashes = await sqlRows<{ token_hash: string }>(t.server.services.database.db, sql`select token_hash from api_tokens`);
    const text = JSON.stringify(all, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    for (const token of issued) expect(text).not.toContain(token);
    for (const { token_hash } of hashes) expect(text).not.toContain(token_hash);
  });

  it("a principal revokes its own token, and it is refused at once; another's is NOT_FOUND, like a missing one", async () => {
    const mine = await tokens.createApiToken({ name: `hal-${protocol}`, roles: ["service"] }, as(t.adminToken));
    const theirs = await tokens.createApiToken({ name: `ivy-${protocol}`, roles: ["user"] }, as(t.adminToken));
    issued.push(mine.token, theirs.token);
    await tokens.whoAmI({}, as(mine.token)); // cached now
    const stranger = await outcome(tokens.revokeApiToken({ tokenId: theirs.apiToken!.tokenId }, as(mine.token)));
    const missing = await outcome(tokens.revokeApiToken({ tokenId: "01a20000-0000-7000-8000-000000000000" }, as(mine.token)));
    expect(stranger.replace(theirs.apiToken!.tokenId, "ID")).toBe(missing.replace("01a20000-0000-7000-8000-000000000000", "ID"));
    const revoked = await tokens.revokeApiToken({ tokenId: mine.apiToken!.tokenId }, as(mine.token));
    expect(revoked.apiToken!.revokedAt).toBeGreaterThan(0n);
    expect(await outcome(tokens.whoAmI({}, as(mine.token)))).toBe("Unauthenticated: API token has been revoked");
    // Admins revoke anyone's; twice is not an error.
    await tokens.revokeApiToken({ tokenId: theirs.apiToken!.tokenId }, as(t.adminToken));
    await tokens.revokeApiToken({ tokenId: theirs.apiToken!.tokenId }, as(t.adminToken));
    expect(await outcome(tokens.whoAmI({}, as(theirs.token)))).toBe("Unauthenticated: API token has been revoked");
    const listed = await tokens.listApiTokens({ name: `ivy-${protocol}` }, as(t.adminToken));
    expect(listed.apiTokens).toEqual([]);
    expect((await tokens.listApiTokens({ name: `ivy-${protocol}`, includeInactive: true }, as(t.adminToken))).apiTokens).toHaveLength(1);
  });

  it("an expired token is refused, saying so", async () => {
    const short = await tokens.createApiToken({ name: `jo-${protocol}`, roles: ["user"], expiresAt: BigInt(Date.now() + 1500) }, as(t.adminToken));
    issued.push(short.token);
    expect((await tokens.whoAmI({}, as(short.token))).expiresAt).toBe(short.apiToken!.expiresAt);
    await expect.poll(() => outcome(tokens.whoAmI({}, as(short.token))), { timeout: 5000, interval: 200 }).toBe("Unauthenticated: API token has expired");
  });
});

describe("over REST", () => {
  const rest = async (token: string, method: string, path: string, body?: object) => {
    const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body && JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  it("creates, uses, lists and revokes a token", async () => {
    const created = await rest(t.adminToken, "POST", "/api/2.0/mlflow/secrets/tokens/create", { name: "rest-user", roles: ["user"], ttl_seconds: 600 });
    expect(created.status).toBe(200);
    const token = created.json.token as string;
    issued.push(token);
    expect(created.json.api_token).toMatchObject({ name: "rest-user", roles: ["user"] });
    expect(await rest(token, "GET", "/api/2.0/mlflow/secrets/whoami")).toMatchObject({ status: 200, json: { principal: "rest-user", roles: ["user"], authenticated_by: "api_token" } });
    const listed = await rest(t.adminToken, "GET", "/api/2.0/mlflow/secrets/tokens/list?name=rest-user");
    expect(listed.json.api_tokens).toHaveLength(1);
    expect(JSON.stringify(listed.json)).not.toContain(token);
    expect((await rest(token, "POST", "/api/2.0/mlflow/secrets/tokens/create", { name: "x", roles: ["admin"] })).status).toBe(403);
    expect((await rest(token, "POST", "/api/2.0/mlflow/secrets/tokens/revoke", { token_id: created.json.api_token.token_id })).status).toBe(200);
    expect(await rest(token, "GET", "/api/2.0/mlflow/secrets/whoami")).toMatchObject({ status: 401, json: { message: "API token has been revoked" } });
  });
});

describe("what a token operation leaves behind", () => {
  it("every call is audited with the token's id and principal, and no token text reaches an event or a log line", async () => {
    await t.server.services.audit.flush();
    const events = await sqlRows<Record<string, string>>(t.server.services.database.db, sql`select * from audit_events where action in ('CreateApiToken', 'RevokeApiToken', 'ListApiTokens', 'WhoAmI')`);
    expect(events.filter((e) => e.action === "CreateApiToken" && e.outcome === "ok").length).toBeGreaterThanOrEqual(10);
    const created = events.find((e) => e.action === "CreateApiToken" && e.subject === "rest-user")!;
    expect(created).toMatchObject({ resource_type: "API_TOKEN", principal: "bootstrap-admin", outcome: "ok" });
    expect(events.some((e) => e.action === "RevokeApiToken" && e.outcome === "denied")).toBe(true);
    const everything = JSON.stringify(events) + t.logs();
    for (const token of issued) expect(everything).not.toContain(token);
  });
});
