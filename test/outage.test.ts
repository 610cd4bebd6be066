import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { createTestDatabase } from "./support/database.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { type TcpProxy, startTcpProxy } from "./support/tcp-proxy.js";

const postgres = inject("postgresUrl");

describe.skipIf(!postgres)("database outage (PostgreSQL behind a proxy the test cuts)", () => {
  let proxy: TcpProxy;
  let t: TestServer;
  let dropDb: () => Promise<void>;
  const auth = () => ({ authorization: `Bearer ${t.adminToken}` });

  beforeAll(async () => {
    const db = await createTestDatabase("postgres");
    dropDb = db.drop;
    const direct = new URL(db.url!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.host = `127.0.0.1:${proxy.port}`;
    t = await startTestServer({ env: { DATABASE_URL: direct.toString() } });
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.close();
    await dropDb?.();
  });

  it("fails fast with UNAVAILABLE, reports NOT_SERVING, writes nothing half, and recovers without a restart", async () => {
    const transport = createGrpcTransport({ baseUrl: t.baseUrl });
    const client = createClient(SecretsService, transport);
    const health = createClient(Health, transport);
    const { secret } = await client.createSecret({ secretName: "before-outage", secretValue: "sk-before-outage-0000", fieldName: "K" }, { headers: auth() });

    await proxy.cut();
    const during = await client.getSecret({ secretId: secret!.secretId }, { headers: auth(), timeoutMs: 8_000 }).catch((e: unknown) => ConnectError.from(e));
    expect(during).toMatchObject({ code: Code.Unavailable, rawMessage: "the database is unavailable; retry shortly" });
    const write = await client
      .createAndBindSecret({ secretName: "during-outage", secretValue: "sk-during-outage-0000", fieldName: "K", resourceType: "JOB", resourceId: "1" }, { headers: auth(), timeoutMs: 8_000 })
      .catch((e: unknown) => ConnectError.from(e));
    expect(write).toMatchObject({ code: Code.Unavailable });
    await expect.poll(async () => (await health.check({})).status, { timeout: 10_000, interval: 250 }).toBe(Status.NOT_SERVING);

    await proxy.restore();
    await expect.poll(async () => (await health.check({})).status, { timeout: 15_000, interval: 250 }).toBe(Status.SERVING);
    await expect.poll(async () => (await client.getSecret({ secretId: secret!.secretId }, { headers: auth() }).catch(() => undefined))?.secret?.secretName, { timeout: 10_000 }).toBe("before-outage");
    const missing = await client.getSecret({ secretName: "during-outage" }, { headers: auth() }).catch((e: unknown) => ConnectError.from(e));
    expect(missing).toMatchObject({ code: Code.NotFound });
    const bindings = await client.listBindings({ resourceType: "JOB", resourceId: "1" }, { headers: auth() });
    expect(bindings.bindings).toEqual([]);
  }, 60_000);
});
