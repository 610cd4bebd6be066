import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, inject, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { createTestDatabase } from "./support/database.js";
import { createPgCluster, pgClusterAvailable } from "./support/pg-cluster.js";
import { startTestServer } from "./support/server.js";
import { startTcpProxy } from "./support/tcp-proxy.js";

/** A database the test can take away and give back. */
interface Outage {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

const outages: Array<[string, boolean, () => Promise<Outage>]> = [
  [
    "a private PostgreSQL cluster stopped with pg_ctl",
    pgClusterAvailable,
    async () => {
      const cluster = await createPgCluster();
      return {
        url: cluster.url,
        cut: async () => cluster.stop(),
        restore: async () => cluster.start(),
        close: async () => cluster.destroy(),
      };
    },
  ],
  [
    "the network to PostgreSQL cut by a proxy",
    Boolean(inject("postgresUrl")),
    async () => {
      const db = await createTestDatabase("postgres");
      const direct = new URL(db.url!);
      const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      direct.host = `127.0.0.1:${proxy.port}`;
      return {
        url: direct.toString(),
        cut: proxy.cut,
        restore: proxy.restore,
        close: async () => {
          await proxy.close();
          await db.drop();
        },
      };
    },
  ],
];

describe.each(outages)("database outage: %s", (_name, available, makeOutage) => {
  it.skipIf(!available)("fails fast with UNAVAILABLE, reports NOT_SERVING, writes nothing half, and recovers without a restart", async () => {
    const outage = await makeOutage();
    const t = await startTestServer({ env: { DATABASE_URL: outage.url } });
    try {
      const auth = { authorization: `Bearer ${t.adminToken}` };
      const transport = createGrpcTransport({ baseUrl: t.baseUrl });
      const client = createClient(SecretsService, transport);
      const health = createClient(Health, transport);
      const { secret } = await client.createSecret({ secretName: "before-outage", secretValue: "sk-before-outage-0000", fieldName: "K" }, { headers: auth });

      await outage.cut();
      const during = await client.getSecret({ secretId: secret!.secretId }, { headers: auth, timeoutMs: 8_000 }).catch((e: unknown) => ConnectError.from(e));
      expect(during).toMatchObject({ code: Code.Unavailable, rawMessage: "the database is unavailable; retry shortly" });
      const write = await client
        .createAndBindSecret({ secretName: "during-outage", secretValue: "sk-during-outage-0000", fieldName: "K", resourceType: "JOB", resourceId: "1" }, { headers: auth, timeoutMs: 8_000 })
        .catch((e: unknown) => ConnectError.from(e));
      expect(write).toMatchObject({ code: Code.Unavailable });
      await expect.poll(async () => (await health.check({})).status, { timeout: 10_000, interval: 250 }).toBe(Status.NOT_SERVING);

      await outage.restore();
      await expect.poll(async () => (await health.check({})).status, { timeout: 15_000, interval: 250 }).toBe(Status.SERVING);
      await expect
        .poll(async () => (await client.getSecret({ secretId: secret!.secretId }, { headers: auth }).catch(() => undefined))?.secret?.secretName, { timeout: 10_000 })
        .toBe("before-outage");
      const missing = await client.getSecret({ secretName: "during-outage" }, { headers: auth }).catch((e: unknown) => ConnectError.from(e));
      expect(missing).toMatchObject({ code: Code.NotFound });
      expect((await client.listBindings({ resourceType: "JOB", resourceId: "1" }, { headers: auth })).bindings).toEqual([]);
    } finally {
      await t.stop();
      await outage.close();
    }
  }, 90_000);
});
