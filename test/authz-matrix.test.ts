import { create, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayService } from "../gen/secrets/v1/gateway_pb.js";
import { ProviderService } from "../gen/secrets/v1/providers_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { TokenService } from "../gen/secrets/v1/tokens_pb.js";
import { RPC_POLICY } from "../src/auth/policy.js";
import type { Role } from "../src/auth/principal.js";
import { restRoutes } from "../src/server/rest-routes.js";
import { caller } from "./support/services.js";
import { type TestServer, startTestServer } from "./support/server.js";

/**
 * Every RPC × every kind of caller × private and shared secrets, over gRPC
 * and over the REST gateway: the expected outcome of each cell.
 */

type Who = "none" | "malformed" | "unknown" | "expired" | "revoked" | "admin" | "owner" | "other" | "service";
type Scope = "private" | "shared";
type Outcome = "ok" | "UNAUTHENTICATED" | "PERMISSION_DENIED" | "NOT_FOUND" | "FAILED_PRECONDITION";

const WHO: Who[] = ["none", "malformed", "unknown", "expired", "revoked", "admin", "owner", "other", "service"];

interface Fixture {
  secretId: string;
  bindingId: string;
  resourceType: string;
  resourceId: string;
  n: number;
}

/** What each RPC is called with, and what each authenticated caller must get. */
const CASES: Record<string, { request: (f: Fixture, scope: Scope) => object; expect: (who: "admin" | "owner" | "other" | "service", scope: Scope) => Outcome }> = {
  CreateAndBindSecret: {
    request: (f, scope) => ({ secretName: `cab-${f.n}`, secretValue: "sk-matrix-value-000001", fieldName: "K", resourceType: "MATRIX_NEW", resourceId: `cab-${f.n}`, isShared: scope === "shared" }),
    expect: (who) => (who === "service" ? "PERMISSION_DENIED" : "ok"),
  },
  CreateSecret: {
    request: (f, scope) => ({ secretName: `cs-${f.n}`, secretValue: "sk-matrix-value-000001", fieldName: "K", isShared: scope === "shared" }),
    expect: (who) => (who === "service" ? "PERMISSION_DENIED" : "ok"),
  },
  GetSecret: { request: (f) => ({ secretId: f.secretId }), expect: (who, scope) => (scope === "private" && (who === "other" || who === "service") ? "NOT_FOUND" : "ok") },
  ListSecrets: { request: () => ({}), expect: () => "ok" },
  ListSecretVersions: { request: (f) => ({ secretId: f.secretId }), expect: (who, scope) => (scope === "private" && (who === "other" || who === "service") ? "NOT_FOUND" : "ok") },
  UpdateSecret: { request: (f) => ({ secretId: f.secretId, provider: "p" }), expect: modifyRule },
  RevokeSecret: { request: (f) => ({ secretId: f.secretId }), expect: modifyRule },
  DeleteSecret: { request: (f) => ({ secretId: f.secretId }), expect: modifyRule },
  BindSecret: {
    request: (f) => ({ secretId: f.secretId, resourceType: "MATRIX_NEW", resourceId: `bind-${f.n}`, fieldName: "K" }),
    expect: (who, scope) => {
      if (who === "service") return "PERMISSION_DENIED";
      if (scope === "shared") return "ok";
      // The private fixture is already bound once: a second binding is refused to those who may see it.
      return who === "other" ? "NOT_FOUND" : "FAILED_PRECONDITION";
    },
  },
  // The fixture's binding is on the owner's resource: invisible to another user, whatever the secret's scope.
  UnbindSecret: { request: (f) => ({ bindingId: f.bindingId }), expect: (who) => (who === "service" ? "PERMISSION_DENIED" : who === "other" ? "NOT_FOUND" : "ok") },
  GetBinding: { request: (f) => ({ bindingId: f.bindingId }), expect: (who) => (who === "other" ? "NOT_FOUND" : "ok") },
  ListBindings: { request: (f) => ({ resourceType: f.resourceType, resourceId: f.resourceId }), expect: (who) => (who === "other" ? "PERMISSION_DENIED" : "ok") },
  ResolveResourceSecrets: { request: (f) => ({ resourceType: f.resourceType, resourceId: f.resourceId }), expect: (who) => (who === "admin" || who === "service" ? "ok" : "PERMISSION_DENIED") },
  ListAuditEvents: { request: () => ({}), expect: (who) => (who === "admin" ? "ok" : "PERMISSION_DENIED") },
  GetKeyringStatus: { request: () => ({}), expect: (who) => (who === "admin" ? "ok" : "PERMISSION_DENIED") },
  GetResourceAccess: { request: (f) => ({ resourceType: f.resourceType, resourceId: f.resourceId }), expect: (who) => (who === "other" ? "PERMISSION_DENIED" : "ok") },
  GrantResourceAccess: { request: (f) => ({ resourceType: f.resourceType, resourceId: f.resourceId, principal: "matrix-newcomer" }), expect: governRule },
  RevokeResourceAccess: { request: (f) => ({ resourceType: f.resourceType, resourceId: f.resourceId, principal: "matrix-grantee" }), expect: governRule },
  TransferResourceOwnership: { request: (f) => ({ resourceType: f.resourceType, resourceId: f.resourceId, newOwner: "matrix-new-owner" }), expect: (who) => (who === "admin" ? "ok" : "PERMISSION_DENIED") },
};

function governRule(who: "admin" | "owner" | "other" | "service"): Outcome {
  return who === "admin" || who === "owner" ? "ok" : "PERMISSION_DENIED";
}

function modifyRule(who: "admin" | "owner" | "other" | "service", scope: Scope): Outcome {
  if (who === "service") return "PERMISSION_DENIED";
  if (who === "other") return scope === "private" ? "NOT_FOUND" : "PERMISSION_DENIED";
  return "ok";
}

const UNAUTH_MESSAGE: Record<string, RegExp> = {
  none: /missing credentials/,
  malformed: /malformed/,
  unknown: /invalid API token/,
  expired: /expired/,
  revoked: /revoked/,
};

const HTTP: Record<Outcome, number> = { ok: 200, UNAUTHENTICATED: 401, PERMISSION_DENIED: 403, NOT_FOUND: 404, FAILED_PRECONDITION: 412 };

let t: TestServer;
let transport: ReturnType<typeof createGrpcTransport> | undefined;
const tokens = {} as Record<Who, string | undefined>;
let n = 0;

beforeAll(async () => {
  t = await startTestServer({ env: { SECRETS_RESOLVE_BURST: "100000" } });
  const issue = async (name: string, role: Role, expiresAt?: Date) => (await t.server.services.apiTokens.issue({ name, role, createdBy: "test", expiresAt }))!.token;
  tokens.none = undefined;
  tokens.malformed = "not-a-token";
  tokens.unknown = `sst_${"A".repeat(43)}`;
  tokens.expired = await issue("expired-user", "user", new Date(Date.now() - 60_000));
  tokens.revoked = await issue("revoked-user", "user");
  await t.server.services.tokenStore.revoke("revoked-user");
  tokens.admin = t.adminToken;
  tokens.owner = await issue("owner", "user");
  tokens.other = await issue("other", "user");
  tokens.service = await issue("matrix-service", "service");
});
afterAll(async () => {
  await t?.stop();
});

/** A fresh secret of the owner's, bound once to a resource of the owner's with one grant, so that every cell starts from the same state. */
async function fixture(scope: Scope): Promise<Fixture> {
  const i = ++n;
  const resourceType = "MATRIX";
  const resourceId = `r-${i}`;
  const { secret, binding } = await t.server.services.secrets.createSecret(
    caller("owner", "user"),
    { secretName: `fixture-${i}`, secretValue: "sk-matrix-fixture-000001", secretFields: {}, fieldName: "K", authConfig: {}, isShared: scope === "shared", requestId: "" },
    { resourceType, resourceId, fieldName: "K" },
  );
  await t.server.services.resources.grant(caller("owner", "user"), { resourceType, resourceId }, "matrix-grantee");
  return { secretId: secret.id, bindingId: binding!.id, resourceType, resourceId, n: i };
}

const rpcs = SecretsService.methods.map((m) => m.name);

describe("every RPC has a row in the matrix", () => {
  it("covers the whole contract", () => {
    expect(Object.keys(CASES).sort()).toEqual([...rpcs].sort());
  });

  it("every RPC of every service has its rule in the one policy table, and the table has no rule for an RPC that does not exist", () => {
    const all = [SecretsService, TokenService, GatewayService, ProviderService].flatMap((s) => s.methods.map((m) => m.name));
    expect(new Set(all).size).toBe(all.length);
    expect(Object.keys(RPC_POLICY).sort()).toEqual([...all].sort());
  });
});

describe.each(["grpc", "rest"] as const)("authorization matrix over %s", (protocol) => {
  const cells = rpcs.flatMap((rpc) => WHO.flatMap((who) => (["private", "shared"] as Scope[]).map((scope) => ({ rpc, who, scope }))));
  const routes = restRoutes([SecretsService]);

  it.each(cells.filter(({ rpc }) => protocol === "grpc" || routes.some((r) => r.method.name === rpc)))("$rpc as $who on a $scope secret", async ({ rpc, who, scope }) => {
    const f = await fixture(scope);
    const method = SecretsService.methods.find((m) => m.name === rpc)!;
    const expected: Outcome = ["none", "malformed", "unknown", "expired", "revoked"].includes(who)
      ? "UNAUTHENTICATED"
      : CASES[rpc]!.expect(who as "admin", scope);
    const headers: Record<string, string> = tokens[who] === undefined ? {} : { authorization: `Bearer ${tokens[who]}` };
    const init = CASES[rpc]!.request(f, scope);

    let outcome: string;
    let message = "";
    if (protocol === "grpc") {
      // One connection for the whole matrix, as a real client keeps: a new one per cell would meet the per-peer connection cap.
      transport ??= createGrpcTransport({ baseUrl: t.baseUrl });
      const client = createClient(SecretsService, transport) as unknown as Record<string, (req: object, opts: object) => Promise<unknown>>;
      try {
        await client[method.localName]!(init, { headers });
        outcome = "ok";
      } catch (err) {
        const e = ConnectError.from(err);
        outcome = Code[e.code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
        message = e.rawMessage;
      }
    } else {
      const route = routes.find((r) => r.method.name === rpc && r.template.startsWith("/api/"))!;
      const json = toJson(method.input, create(method.input, init as never), { useProtoFieldName: true }) as Record<string, string>;
      const query = route.body === "" ? `?${new URLSearchParams(json)}` : "";
      const res = await fetch(`${t.baseUrl}${route.template}${query}`, {
        method: route.verb,
        headers: { ...headers, "content-type": "application/json" },
        body: route.body === "" ? undefined : JSON.stringify(json),
      });
      const body = (await res.json()) as { error_code?: string; message?: string };
      outcome = Object.entries(HTTP).find(([, status]) => status === res.status)?.[0] ?? `HTTP ${res.status}`;
      message = body.message ?? "";
    }
    expect(outcome).toBe(expected);
    if (expected === "UNAUTHENTICATED") expect(message).toMatch(UNAUTH_MESSAGE[who]!);
    for (const token of Object.values(tokens)) if (token && token.length > 20) expect(message).not.toContain(token);
  });
});

describe("a private secret of another user is indistinguishable from a missing one", () => {
  it.each(["grpc", "rest"])("over %s", async (protocol) => {
    const f = await fixture("private");
    const missing = "01a20000-0000-7000-8000-000000000000";
    const ask = async (id: string) => {
      if (protocol === "grpc") {
        const client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
        const e = await client.getSecret({ secretId: id }, { headers: { authorization: `Bearer ${tokens.other}` } }).catch((x: unknown) => ConnectError.from(x));
        return `${(e as ConnectError).code} ${(e as ConnectError).rawMessage.replace(id, "ID")}`;
      }
      const res = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/get?secret_id=${id}`, { headers: { authorization: `Bearer ${tokens.other}` } });
      return `${res.status} ${(await res.text()).replace(id, "ID")}`;
    };
    expect(await ask(f.secretId)).toBe(await ask(missing));
  });
});
