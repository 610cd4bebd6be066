import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Code, ConnectError, type Transport, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { SecretState, SecretsService } from "../gen/secrets/v1/service_pb.js";
import { type TestServer, startTestServer } from "./support/server.js";

const PROTO_DIR = fileURLToPath(new URL("../proto", import.meta.url));
const SEED_VALUE = "sk-ant-12345";
const NEW_VALUE = "sk-ant-67890-rotated";

let t: TestServer;
let adminAuth: Record<string, string>;
let serviceAuth: Record<string, string>;

beforeAll(async () => {
  t = await startTestServer();
  adminAuth = { authorization: `Bearer ${t.adminToken}` };
  serviceAuth = { authorization: `Bearer ${await t.token("service", "scorer")}` };
});
afterAll(async () => {
  await t?.stop();
});

const transports: Array<[string, () => Transport]> = [
  ["connect-node gRPC (h2c)", () => createGrpcTransport({ baseUrl: t.baseUrl })],
  ["connect-node Connect JSON (HTTP/1.1)", () => createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1", useBinaryFormat: false })],
  ["connect-node Connect binary (h2c)", () => createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "2" })],
  ["connect-node gRPC-Web (HTTP/1.1)", () => createGrpcWebTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" })],
];

async function codeOf(p: Promise<unknown>): Promise<Code> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err).code;
  }
  throw new Error("expected the call to fail");
}

describe.each(transports)("seed scenario over %s", (label, makeTransport) => {
  const suffix = label.replace(/\W+/g, "-").toLowerCase();

  it("create-and-bind, read back masked, update, resolve, revoke, delete", async () => {
    const client = createClient(SecretsService, makeTransport());
    const created = await client.createAndBindSecret(
      {
        secretName: `claude-prod-${suffix}`,
        secretValue: SEED_VALUE,
        fieldName: "ANTHROPIC_API_KEY",
        resourceType: "GLOBAL",
        resourceId: `global-${suffix}`,
        provider: "anthropic",
        model: "claude-3-5-sonnet-20241022",
      },
      { headers: adminAuth },
    );
    const id = created.secret!.secretId;
    expect(created.secret).toMatchObject({ isShared: true, state: SecretState.ACTIVE, provider: "anthropic", model: "claude-3-5-sonnet-20241022", maskedValue: "s...45", version: 1, bindingCount: 1 });
    expect(created.binding).toMatchObject({ secretId: id, resourceType: "GLOBAL", fieldName: "ANTHROPIC_API_KEY" });

    const { secret } = await client.getSecret({ secretId: id }, { headers: adminAuth });
    expect(secret).toMatchObject({ secretName: `claude-prod-${suffix}`, maskedValue: "s...45", provider: "anthropic" });
    expect(JSON.stringify(secret, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(SEED_VALUE);

    const updated = await client.updateSecret({ secretId: id, secretValue: NEW_VALUE, provider: "anthropic", model: "claude-3-7-sonnet-20250219", etag: secret!.etag }, { headers: adminAuth });
    expect(updated.secret).toMatchObject({ version: 2, model: "claude-3-7-sonnet-20250219", maskedValue: "sk...ted" });

    const resolved = await client.resolveResourceSecrets({ resourceType: "GLOBAL", resourceId: `global-${suffix}` }, { headers: serviceAuth });
    expect(resolved.secrets).toHaveLength(1);
    expect(resolved.secrets[0]).toMatchObject({ fieldName: "ANTHROPIC_API_KEY", secretId: id, value: NEW_VALUE, provider: "anthropic", model: "claude-3-7-sonnet-20250219", version: 2 });

    const revoked = await client.revokeSecret({ secretId: id }, { headers: adminAuth });
    expect(revoked.secret?.state).toBe(SecretState.REVOKED);
    expect(await codeOf(client.resolveResourceSecrets({ resourceType: "GLOBAL", resourceId: `global-${suffix}` }, { headers: serviceAuth }))).toBe(Code.FailedPrecondition);

    await client.deleteSecret({ secretId: id }, { headers: adminAuth });
    expect(await codeOf(client.getSecret({ secretId: id }, { headers: adminAuth }))).toBe(Code.NotFound);
  });

  it("a secret created without provider and model reads them back unset", async () => {
    const client = createClient(SecretsService, makeTransport());
    const { secret } = await client.createSecret({ secretName: `bare-${suffix}`, secretValue: SEED_VALUE, fieldName: "OPENAI_API_KEY" }, { headers: adminAuth });
    const read = await client.getSecret({ secretId: secret!.secretId }, { headers: adminAuth });
    expect(read.secret?.provider).toBeUndefined();
    expect(read.secret?.model).toBeUndefined();
    await client.deleteSecret({ secretId: secret!.secretId }, { headers: adminAuth });
  });

  it("maps errors to codes whose messages never carry the value", async () => {
    const client = createClient(SecretsService, makeTransport());
    const unauth = await client.listSecrets({}).catch((e: unknown) => ConnectError.from(e));
    expect(unauth).toMatchObject({ code: Code.Unauthenticated });
    const bad = await client
      .createSecret({ secretName: "", secretValue: SEED_VALUE, fieldName: "NOT AN ENV NAME" }, { headers: adminAuth })
      .catch((e: unknown) => ConnectError.from(e));
    expect(bad).toMatchObject({ code: Code.InvalidArgument });
    expect((bad as ConnectError).rawMessage).not.toContain(SEED_VALUE);
    const both = await client
      .createSecret({ secretName: `both-${suffix}`, secretValue: SEED_VALUE, secretFields: { A: SEED_VALUE }, fieldName: "K" }, { headers: adminAuth })
      .catch((e: unknown) => ConnectError.from(e));
    expect(both).toMatchObject({ code: Code.InvalidArgument, rawMessage: "give either secret_value or secret_fields, not both" });
    expect(await codeOf(client.getSecret({ secretId: "does-not-exist" }, { headers: adminAuth }))).toBe(Code.NotFound);
  });
});

describe("stock @grpc/grpc-js client loading the .proto (no generated code)", () => {
  type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
  type Unary = (req: object, md: grpc.Metadata, cb: Callback<Record<string, any>>) => void;
  let client: grpc.Client & Record<string, Unary>;
  const call = (method: string, req: object, md: grpc.Metadata) =>
    promisify<object, grpc.Metadata, Record<string, any>>((r, m, cb) => client[method]!.call(client, r, m, cb))(req, md);
  const meta = (auth: Record<string, string>) => {
    const md = new grpc.Metadata();
    md.set("authorization", auth.authorization!);
    return md;
  };

  beforeAll(() => {
    const def = protoLoader.loadSync("secrets/v1/service.proto", { includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { secrets: { v1: { SecretsService: grpc.ServiceClientConstructor } } };
    client = new pkg.secrets.v1.SecretsService(`127.0.0.1:${t.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Unary>;
  });
  afterAll(() => client?.close());

  it("runs the seed scenario", async () => {
    const created = await call(
      "CreateAndBindSecret",
      { secret_name: "claude-prod-grpc-js", secret_value: SEED_VALUE, field_name: "ANTHROPIC_API_KEY", resource_type: "GLOBAL", resource_id: "global-grpc-js", provider: "anthropic", model: "claude-3-5-sonnet-20241022" },
      meta(adminAuth),
    );
    const id = created.secret.secret_id as string;
    expect(created.secret).toMatchObject({ is_shared: true, state: "SECRET_STATE_ACTIVE", provider: "anthropic", masked_value: "s...45", version: 1 });
    const read = await call("GetSecret", { secret_id: id }, meta(adminAuth));
    expect(read.secret.model).toBe("claude-3-5-sonnet-20241022");
    const updated = await call("UpdateSecret", { secret_id: id, secret_value: NEW_VALUE, provider: "anthropic", model: "claude-3-opus-20240229" }, meta(adminAuth));
    expect(updated.secret).toMatchObject({ version: 2, model: "claude-3-opus-20240229" });
    const resolved = await call("ResolveResourceSecrets", { resource_type: "GLOBAL", resource_id: "global-grpc-js" }, meta(serviceAuth));
    expect(resolved.secrets[0]).toMatchObject({ value: NEW_VALUE, field_name: "ANTHROPIC_API_KEY" });
    await call("RevokeSecret", { secret_id: id }, meta(adminAuth));
    const refused = await call("ResolveResourceSecrets", { resource_type: "GLOBAL", resource_id: "global-grpc-js" }, meta(serviceAuth)).catch((e: grpc.ServiceError) => e);
    expect((refused as grpc.ServiceError).code).toBe(grpc.status.FAILED_PRECONDITION);
    await call("DeleteSecret", { secret_id: id }, meta(adminAuth));
    const gone = await call("GetSecret", { secret_id: id }, meta(adminAuth)).catch((e: grpc.ServiceError) => e);
    expect((gone as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
  });

  it("reads provider and model back unset when created without them", async () => {
    const created = await call("CreateSecret", { secret_name: "bare-grpc-js", secret_value: SEED_VALUE, field_name: "OPENAI_API_KEY" }, meta(adminAuth));
    const read = await call("GetSecret", { secret_id: created.secret.secret_id }, meta(adminAuth));
    // proto3 optional fields surface as synthetic oneofs: unset means the oneof names nothing.
    expect(read.secret._provider).toBeUndefined();
    expect(read.secret._model).toBeUndefined();
    expect(read.secret.provider).toBeUndefined();
  });

  it("gets UNAUTHENTICATED without a token and INVALID_ARGUMENT for bad input", async () => {
    const none = await call("ListSecrets", {}, new grpc.Metadata()).catch((e: grpc.ServiceError) => e);
    expect((none as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
    const bad = await call("CreateSecret", { secret_name: "x", secret_value: SEED_VALUE, field_name: "1BAD" }, meta(adminAuth)).catch((e: grpc.ServiceError) => e);
    expect((bad as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((bad as grpc.ServiceError).details).not.toContain(SEED_VALUE);
  });
});

describe("health", () => {
  it("answers SERVING without credentials, and NOT_FOUND for an unknown service", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: t.baseUrl }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "secrets.v1.SecretsService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(await codeOf(health.check({ service: "nope.Service" }))).toBe(Code.NotFound);
  });
});

describe("limits", () => {
  it("refuses a value over 64 KiB with INVALID_ARGUMENT and a message without the value", async () => {
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
    const big = `sk-${"A".repeat(70 * 1024)}`;
    const err = await client.createSecret({ secretName: "big", secretValue: big, fieldName: "K" }, { headers: adminAuth }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument });
    expect((err as ConnectError).rawMessage).not.toContain("AAAAAAAA");
  });

  it("refuses a request message over the read limit with RESOURCE_EXHAUSTED", async () => {
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
    const err = await client.createSecret({ secretName: "huge", secretValue: "x".repeat(1024 * 1024), fieldName: "K" }, { headers: adminAuth }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.ResourceExhausted });
  });
});

describe("no secret in the logs", () => {
  it("after every scenario above, neither values nor tokens appear in any log line", () => {
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(1000);
    for (const needle of [SEED_VALUE, NEW_VALUE, t.adminToken, serviceAuth.authorization!.slice(7)]) {
      expect(logs).not.toContain(needle);
    }
  });
});
