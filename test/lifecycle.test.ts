import http from "node:http";
import http2 from "node:http2";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { type TestDatabase, createTestDatabase } from "./support/database.js";
import { spawnService } from "./support/process.js";

describe("the embedded default, run as a process", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("pglite");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("first start: own keystore (0600), an admin token printed once, loopback only", async () => {
    const svc = spawnService({ SECRETS_DATA_DIR: db.dataDir });
    const port = await svc.listening;
    await expect.poll(() => svc.stderr(), { timeout: 5_000 }).toMatch(/\n {2}sst_[A-Za-z0-9_-]{43}\n/);
    const token = /\n {2}(sst_[A-Za-z0-9_-]{43})\n/.exec(svc.stderr())?.[1];
    expect(token).toBeDefined();
    expect(svc.stdout()).not.toContain(token!);
    expect(svc.stdout()).toContain('"host":"127.0.0.1"');
    expect((await stat(join(db.dataDir, "keystore", "kek-1.key"))).mode & 0o777).toBe(0o600);

    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    const { secret } = await client.createSecret({ secretName: "first", secretValue: "sk-first-start-000000", fieldName: "K" }, { headers: { authorization: `Bearer ${token}` } });
    expect(secret?.createdBy).toBe("bootstrap-admin");

    // A second server on the same data directory is refused while the first runs.
    const second = spawnService({ SECRETS_DATA_DIR: db.dataDir });
    expect(await second.exited).toBe(1);
    expect(second.stdout()).toMatch(/in use by process \d+/);

    svc.child.kill("SIGTERM");
    expect(await svc.exited).toBe(0);

    // Restart: the token still works and none is printed again.
    const again = spawnService({ SECRETS_DATA_DIR: db.dataDir });
    const port2 = await again.listening;
    expect(again.stderr()).not.toContain("sst_");
    const client2 = createClient(SecretsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port2}` }));
    const list = await client2.listSecrets({}, { headers: { authorization: `Bearer ${token}` } });
    expect(list.secrets.map((s) => s.secretName)).toEqual(["first"]);

    // SIGTERM with calls in flight: every call already sent completes.
    const calls = Array.from({ length: 30 }, (_, i) =>
      client2.createSecret({ secretName: `inflight-${i}`, secretValue: "sk-in-flight-0000000", fieldName: "K" }, { headers: { authorization: `Bearer ${token}` } }),
    );
    await Promise.race(calls);
    again.child.kill("SIGTERM");
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    expect(await again.exited).toBe(0);
    expect(again.stdout()).toContain('"msg":"stopped"');
  }, 90_000);

  it("SIGTERM does not wait out the grace period for idle keep-alive clients, HTTP/1.1 or HTTP/2", async () => {
    const svc = spawnService({ SECRETS_DATA_DIR: db.dataDir, SECRETS_SHUTDOWN_GRACE_MS: "30000" });
    const port = await svc.listening;
    // An HTTP/1.1 keep-alive connection and an HTTP/2 one, each idle after a call.
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) =>
      http
        .request({ host: "127.0.0.1", port, method: "POST", path: "/grpc.health.v1.Health/Check", headers: { "content-type": "application/json" }, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        })
        .on("error", reject)
        .end("{}"),
    );
    expect(status).toBe(200);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    await new Promise((resolve) => session.once("connect", resolve));
    const started = performance.now();
    svc.child.kill("SIGTERM");
    expect(await svc.exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
    agent.destroy();
    session.destroy();
  }, 60_000);

  it("warns when it listens beyond loopback without TLS", async () => {
    const svc = spawnService({ SECRETS_DATA_DIR: db.dataDir, SECRETS_ADDR: "0.0.0.0:0" });
    await svc.listening;
    expect(svc.stdout()).toContain("non-loopback address without TLS");
    svc.child.kill("SIGTERM");
    expect(await svc.exited).toBe(0);
  }, 60_000);

  it("refuses bad configuration with a clear message and exit code 2", async () => {
    const svc = spawnService({ SECRETS_DATA_DIR: db.dataDir, SECRETS_ADDR: "nonsense" });
    expect(await svc.exited).toBe(2);
    expect(svc.stderr()).toContain("SECRETS_ADDR must be host:port");
  });
});

describe.skipIf(!inject("postgresUrl"))("SECRETS_WORKERS: several processes on one port", () => {
  it("runs two workers on the same port, both serving, and stops them all on SIGTERM", async () => {
    const db = await createTestDatabase("postgres");
    try {
      const svc = spawnService({ SECRETS_DATA_DIR: db.dataDir, DATABASE_URL: db.url!, SECRETS_WORKERS: "2" });
      await expect.poll(() => (svc.stdout().match(/secrets service listening/g) ?? []).length, { timeout: 60_000 }).toBe(2);
      const lines = svc.stdout().split("\n").filter((l) => l.includes("secrets service listening")).map((l) => JSON.parse(l) as { pid: number; address: { port: number } });
      expect(new Set(lines.map((l) => l.pid)).size).toBe(2);
      expect(new Set(lines.map((l) => l.address.port)).size).toBe(1);
      await expect.poll(() => svc.stderr(), { timeout: 5_000 }).toMatch(/sst_[A-Za-z0-9_-]{43}/);
      const token = /(sst_[A-Za-z0-9_-]{43})/.exec(svc.stderr())![1]!;
      const port = lines[0]!.address.port;
      // Separate connections, so that the cluster spreads them over the workers.
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          createClient(SecretsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })).createSecret(
            { secretName: `worker-${i}`, secretValue: "sk-worker-000000000", fieldName: "K" },
            { headers: { authorization: `Bearer ${token}` } },
          ),
        ),
      );
      expect(results).toHaveLength(8);
      svc.child.kill("SIGTERM");
      expect(await svc.exited).toBe(0);
    } finally {
      await db.drop();
    }
  }, 90_000);
});
