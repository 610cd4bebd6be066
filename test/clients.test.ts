import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { restRoutes } from "../src/server/rest-routes.js";
import { type TestServer, startTestServer } from "./support/server.js";

const BUF = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));
const ALLOWED_ORIGIN = "http://app.example.test:8080";

let t: TestServer;
let auth: Record<string, string>;

beforeAll(async () => {
  t = await startTestServer({ env: { SECRETS_CORS_ORIGINS: ALLOWED_ORIGIN } });
  auth = { authorization: `Bearer ${t.adminToken}` };
});
afterAll(async () => {
  await t?.stop();
});

async function buf(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(BUF, ["curl", "--http2-prior-knowledge", ...args], { timeout: 20_000 });
  return stdout;
}

describe("buf curl through server reflection (no --schema)", () => {
  it("lists exactly the mounted services", async () => {
    const out = (await buf("--list-services", t.baseUrl)).trim().split("\n").sort();
    expect(out).toEqual(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "secrets.v1.GatewayService", "secrets.v1.ProviderService", "secrets.v1.SecretsService", "secrets.v1.TokenService"]);
  });

  it("calls WhoAmI on TokenService through reflection", async () => {
    const out = JSON.parse(await buf("-H", `authorization: Bearer ${t.adminToken}`, `${t.baseUrl}/secrets.v1.TokenService/WhoAmI`));
    expect(out).toMatchObject({ principal: "bootstrap-admin", roles: ["admin"], authenticatedBy: "api_token" });
  });

  it("lists every method of the contract, and each has a REST route except ResolveResourceSecrets", async () => {
    const listed = new Set((await buf("--list-methods", t.baseUrl)).trim().split("\n"));
    const routed = new Set(restRoutes([SecretsService]).map((r) => r.method.name));
    for (const method of SecretsService.methods) {
      expect(listed, method.name).toContain(`secrets.v1.SecretsService/${method.name}`);
      if (method.name === "ResolveResourceSecrets") expect(routed.has(method.name)).toBe(false);
      else expect(routed, `${method.name} has no google.api.http route`).toContain(method.name);
    }
  });

  it.each(["grpc", "connect"])("creates and reads a secret over --protocol %s", async (protocol) => {
    const created = JSON.parse(
      await buf("--protocol", protocol, "-H", `authorization: ${auth.authorization}`, "-d", JSON.stringify({ secret_name: `buf-${protocol}`, secret_value: "sk-buf-curl-000000000", field_name: "OPENAI_API_KEY", resource_type: "GLOBAL", resource_id: `buf-${protocol}`, provider: "openai" }), `${t.baseUrl}/secrets.v1.SecretsService/CreateAndBindSecret`),
    );
    expect(created.secret).toMatchObject({ secretName: `buf-${protocol}`, provider: "openai", isShared: true });
    const read = JSON.parse(await buf("--protocol", protocol, "-H", `authorization: ${auth.authorization}`, "-d", JSON.stringify({ secret_id: created.secret.secretId }), `${t.baseUrl}/secrets.v1.SecretsService/GetSecret`));
    expect(read.secret).toMatchObject({ secretId: created.secret.secretId, maskedValue: "sk...000" });
  });

  it("answers symbols it does not know with an error, not a crash", async () => {
    await expect(buf("--protocol", "grpc", "-d", "{}", `${t.baseUrl}/nope.Service/Method`)).rejects.toThrow(/nope\.Service/);
  });
});

describe("REST gateway (MLflow dialect)", () => {
  const rest = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };

  it("runs the seed scenario: create-and-bind answers 200 with provider and model", async () => {
    const res = await rest("POST", "/api/3.0/mlflow/secrets/create-and-bind", {
      secret_name: "claude-key",
      secret_value: "sk-ant-12345",
      field_name: "ANTHROPIC_API_KEY",
      resource_type: "GLOBAL",
      resource_id: "global",
      provider: "anthropic",
      model: "claude-3-5-sonnet-20241022",
    });
    expect(res.status).toBe(200);
    expect(res.json.secret).toMatchObject({ secret_name: "claude-key", provider: "anthropic", model: "claude-3-5-sonnet-20241022", is_shared: true, masked_value: "s...45", state: "SECRET_STATE_ACTIVE" });
    expect(res.json.binding).toMatchObject({ resource_type: "GLOBAL", resource_id: "global", field_name: "ANTHROPIC_API_KEY" });
    expect(JSON.stringify(res.json)).not.toContain("sk-ant-12345");
  });

  it("serves every route with valid input", async () => {
    const created = await rest("POST", "/api/2.0/mlflow/secrets/create", { secretName: "rest-main", secretValue: "sk-rest-main-00000001", fieldName: "OPENAI_API_KEY", isShared: true, unknown_field: 1 });
    expect(created.status).toBe(200);
    const id = created.json.secret.secret_id as string;
    expect(created.json.secret.provider).toBeUndefined();

    expect((await rest("GET", `/api/2.0/mlflow/secrets/get?secret_id=${id}`)).json.secret.secret_name).toBe("rest-main");
    expect((await rest("GET", "/api/2.0/mlflow/secrets/get?secret_name=rest-main&is_shared=true")).json.secret.secret_id).toBe(id);
    expect((await rest("GET", `/ajax-api/2.0/mlflow/secrets/get?secret_id=${id}`)).status).toBe(200);
    expect((await rest("GET", `/api/3.0/mlflow/secrets/get?secret_id=${id}`)).status).toBe(200);

    await rest("POST", "/api/2.0/mlflow/secrets/create", { secret_name: "rest-second", secret_value: "sk-rest-second-000001", field_name: "K", is_shared: true });
    const page = await rest("GET", "/api/2.0/mlflow/secrets/list?is_shared=true&page_size=1");
    expect(page.json.secrets).toHaveLength(1);
    expect(page.json.next_page_token).not.toBe("");
    const next = await rest("GET", `/api/2.0/mlflow/secrets/list?is_shared=true&page_size=1&page_token=${encodeURIComponent(page.json.next_page_token)}`);
    expect(next.json.secrets[0].secret_id).not.toBe(page.json.secrets[0].secret_id);

    const patched = await rest("PATCH", "/api/2.0/mlflow/secrets/update", { secret_id: id, provider: "openai", etag: created.json.secret.etag });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ secret_id: id, provider: "openai" });
    const posted = await rest("POST", "/api/3.0/mlflow/secrets/update", { secret_id: id, secret_value: "sk-rest-main-00000002" });
    expect(posted.json).toMatchObject({ secret_id: id, version: 2, masked_value: "sk...002" });

    const bound = await rest("POST", "/api/2.0/mlflow/secrets/bind", { secret_id: id, resource_type: "SCORER_JOB", resource_id: "job-rest", field_name: "OPENAI_API_KEY" });
    const bindingId = bound.json.binding.binding_id as string;
    expect((await rest("GET", `/api/2.0/mlflow/secrets/get-binding?binding_id=${bindingId}`)).json.binding.resource_id).toBe("job-rest");
    const bindings = await rest("GET", "/api/2.0/mlflow/secrets/list-bindings?resource_type=SCORER_JOB&resource_id=job-rest");
    expect(bindings.json.bindings.map((b: { binding_id: string }) => b.binding_id)).toEqual([bindingId]);
    expect((await rest("DELETE", `/api/2.0/mlflow/secrets/unbind?binding_id=${bindingId}`)).status).toBe(200);
    // MLflow's clients send DELETE parameters as a JSON body.
    await rest("POST", "/api/2.0/mlflow/secrets/bind", { secret_id: id, resource_type: "SCORER_JOB", resource_id: "job-rest", field_name: "OPENAI_API_KEY" });
    expect((await rest("DELETE", "/api/2.0/mlflow/secrets/unbind", { resource_type: "SCORER_JOB", resource_id: "job-rest", field_name: "OPENAI_API_KEY" })).status).toBe(200);

    expect((await rest("POST", "/api/2.0/mlflow/secrets/revoke", { secret_id: id })).json.secret.state).toBe("SECRET_STATE_REVOKED");
    const refused = await rest("POST", "/api/2.0/mlflow/secrets/bind", { secret_id: id, resource_type: "SCORER_JOB", resource_id: "job-2", field_name: "K" });
    expect(refused).toMatchObject({ status: 412, json: { error_code: "INVALID_STATE" } });
    expect((await rest("DELETE", `/api/2.0/mlflow/secrets/delete?secret_id=${id}`)).json).toEqual({});
    expect((await rest("GET", `/api/2.0/mlflow/secrets/get?secret_id=${id}`)).status).toBe(404);
  });

  it.each([
    ["POST", "/api/2.0/mlflow/secrets/create", { secret_name: "", secret_value: "sk-invalid-0000000000", field_name: "K" }, 400, "INVALID_PARAMETER_VALUE"],
    ["POST", "/api/2.0/mlflow/secrets/create", { secret_name: "x", secret_value: 123, field_name: "K" }, 400, "INVALID_PARAMETER_VALUE"],
    ["POST", "/api/2.0/mlflow/secrets/create", "{not json", 400, "MALFORMED_REQUEST"],
    ["POST", "/api/2.0/mlflow/secrets/create", "[1,2]", 400, "MALFORMED_REQUEST"],
    ["GET", "/api/2.0/mlflow/secrets/get", undefined, 400, "INVALID_PARAMETER_VALUE"],
    ["GET", "/api/2.0/mlflow/secrets/get?secret_id=missing", undefined, 404, "RESOURCE_DOES_NOT_EXIST"],
    ["GET", "/api/2.0/mlflow/secrets/list?page_size=abc", undefined, 400, "INVALID_PARAMETER_VALUE"],
    ["GET", "/api/2.0/mlflow/secrets/list?is_shared=maybe", undefined, 400, "INVALID_PARAMETER_VALUE"],
    ["GET", "/api/2.0/mlflow/secrets/list?page_size=5000", undefined, 400, "INVALID_PARAMETER_VALUE"],
    ["PATCH", "/api/2.0/mlflow/secrets/update", { secret_id: "missing", provider: "x" }, 404, "RESOURCE_DOES_NOT_EXIST"],
    ["POST", "/api/2.0/mlflow/secrets/revoke", {}, 400, "INVALID_PARAMETER_VALUE"],
    ["DELETE", "/api/2.0/mlflow/secrets/delete?secret_id=missing", undefined, 404, "RESOURCE_DOES_NOT_EXIST"],
    ["POST", "/api/2.0/mlflow/secrets/bind", { secret_id: "missing", resource_type: "bad type", resource_id: "1", field_name: "K" }, 400, "INVALID_PARAMETER_VALUE"],
    ["DELETE", "/api/2.0/mlflow/secrets/unbind?binding_id=missing", undefined, 404, "RESOURCE_DOES_NOT_EXIST"],
    ["GET", "/api/2.0/mlflow/secrets/get-binding?binding_id=missing", undefined, 404, "RESOURCE_DOES_NOT_EXIST"],
    ["GET", "/api/2.0/mlflow/secrets/list-bindings?resource_type=lower", undefined, 400, "INVALID_PARAMETER_VALUE"],
    ["GET", "/api/2.0/mlflow/secrets/nothing-here", undefined, 404, "ENDPOINT_NOT_FOUND"],
  ])("%s %s → %s %s", async (method, path, body, status, errorCode) => {
    const res = await rest(method, path, body);
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ error_code: errorCode, message: expect.any(String) });
    expect(res.json.message).not.toContain("sk-invalid");
    expect(res.json.message).not.toContain("123");
  });

  it("refuses duplicates (409), missing credentials (401) and wrong methods (405 with Allow)", async () => {
    const body = { secret_name: "dup", secret_value: "sk-duplicate-00000000", field_name: "K", is_shared: true };
    expect((await rest("POST", "/api/2.0/mlflow/secrets/create", body)).status).toBe(200);
    expect(await rest("POST", "/api/2.0/mlflow/secrets/create", body)).toMatchObject({ status: 409, json: { error_code: "RESOURCE_ALREADY_EXISTS" } });
    expect(await rest("GET", "/api/2.0/mlflow/secrets/list", undefined, {})).toMatchObject({ status: 401, json: { error_code: "UNAUTHENTICATED" } });
    const wrong = await rest("GET", "/api/2.0/mlflow/secrets/create");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await rest("PUT", "/api/2.0/mlflow/secrets/update")).headers.get("allow")).toBe("PATCH");
  });

  it("refuses an oversized body with 413", async () => {
    const res = await rest("POST", "/api/2.0/mlflow/secrets/create", { secret_name: "big", secret_value: "x".repeat(600 * 1024), field_name: "K" });
    expect(res).toMatchObject({ status: 413, json: { error_code: "REQUEST_LIMIT_EXCEEDED" } });
  });

  it("never offers ResolveResourceSecrets: values do not travel over the REST gateway", async () => {
    for (const path of ["/api/2.0/mlflow/secrets/resolve", "/api/2.0/mlflow/secrets/resolve-resource-secrets"]) {
      expect((await rest("POST", path, { resource_type: "GLOBAL", resource_id: "global" })).status).toBe(404);
    }
  });
});

describe("undecodable messages on connect-node's protocols", () => {
  it.each([
    ["Connect JSON", "application/json", { "connect-protocol-version": "1" }, JSON.stringify({ secret_name: "x", secret_value: 4242424242, field_name: "K" })],
    ["Connect binary", "application/proto", { "connect-protocol-version": "1" }, Buffer.from([0x12, 0x05, 0x34, 0x32, 0x34])],
  ])("%s: INVALID_ARGUMENT, and the value is not quoted back", async (_name, contentType, extra, body) => {
    const res = await fetch(`${t.baseUrl}/secrets.v1.SecretsService/CreateSecret`, { method: "POST", headers: { ...auth, ...extra, "content-type": contentType }, body });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text).code).toBe("invalid_argument");
    expect(text).not.toContain("4242");
  });
});

describe("browsers: CORS and Connect GET", () => {
  it("answers an allowed preflight with the methods and headers Connect and gRPC-Web need", async () => {
    const res = await fetch(`${t.baseUrl}/secrets.v1.SecretsService/ListSecrets`, {
      method: "OPTIONS",
      headers: { origin: ALLOWED_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,connect-protocol-version" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowHeaders = res.headers.get("access-control-allow-headers")!.toLowerCase();
    for (const h of ["authorization", "content-type", "connect-protocol-version", "x-grpc-web", "grpc-timeout"]) expect(allowHeaders).toContain(h);
    expect(res.headers.get("access-control-max-age")).toBe("7200");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("exposes status headers on allowed requests and refuses other origins", async () => {
    const ok = await fetch(`${t.baseUrl}/secrets.v1.SecretsService/ListSecrets`, { method: "POST", headers: { ...auth, origin: ALLOWED_ORIGIN, "content-type": "application/json" }, body: "{}" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
    const refused = await fetch(`${t.baseUrl}/secrets.v1.SecretsService/ListSecrets`, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "POST" } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    const simple = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/list`, { headers: { ...auth, origin: "http://evil.example" } });
    expect(simple.status).toBe(403);
  });

  it("serves side-effect-free RPCs as Connect GET, and only those", async () => {
    const get = (method: string, message: unknown) =>
      fetch(`${t.baseUrl}/secrets.v1.SecretsService/${method}?connect=v1&encoding=json&message=${encodeURIComponent(JSON.stringify(message))}`, { headers: auth });
    const list = await get("ListSecrets", { pageSize: 1 });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { secrets: unknown[] }).secrets.length).toBeLessThanOrEqual(1);
    expect((await get("CreateSecret", { secretName: "via-get", secretValue: "sk-via-get-000000000", fieldName: "K" })).status).toBe(405);
    const client = createClient(SecretsService, createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1", useHttpGet: true }));
    await expect(client.getSecret({ secretName: "dup" }, { headers: auth })).resolves.toBeDefined();
  });

});
