import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type TestDatabase, createTestDatabase } from "./support/database.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { type TcpProxy, startTcpProxy } from "./support/tcp-proxy.js";

async function probe(baseUrl: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${baseUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function probeH2(baseUrl: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const req = session.request({ ":method": "GET", ":path": path });
    let status = 0;
    let text = "";
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      session.close();
      resolve({ status, body: JSON.parse(text) });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTP probes: /healthz and /readyz", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { SECRETS_KEK_POLL_MS: "100" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("answer without credentials over HTTP/1.1 and HTTP/2", async () => {
    const live = await probe(t.baseUrl, "/healthz");
    expect(live).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(live.headers.get("content-type")).toBe("application/json");
    expect(live.headers.get("cache-control")).toBe("no-store");
    expect(await probe(t.baseUrl, "/readyz?verbose=1")).toMatchObject({ status: 200, body: { status: "ready", database: "ok", keyring: "ok" } });
    expect(await probeH2(t.baseUrl, "/readyz")).toEqual({ status: 200, body: { status: "ready", database: "ok", keyring: "ok" } });
    expect(await probeH2(t.baseUrl, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
  });

  it("HEAD has no body; other methods are 405 with Allow", async () => {
    const head = await probe(t.baseUrl, "/readyz", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    const post = await probe(t.baseUrl, "/healthz", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("not ready while this replica cannot load a KEK version the database names", async () => {
    // Another replica generated version 2 in a keystore this one does not share.
    await t.server.services.kekStore.register({ version: 2, fingerprint: "00".repeat(32), source: "keystore", salt: null, state: "inactive" });
    try {
      await expect.poll(async () => (await probe(t.baseUrl, "/readyz")).body, { timeout: 10_000 }).toEqual({ status: "not ready", database: "ok", keyring: "stale" });
      expect((await probe(t.baseUrl, "/readyz")).status).toBe(503);
      expect((await probe(t.baseUrl, "/healthz")).status).toBe(200);
    } finally {
      expect(await t.server.services.kekStore.retire(2)).toEqual({ ok: true });
    }
    await expect.poll(async () => (await probe(t.baseUrl, "/readyz")).status, { timeout: 10_000 }).toBe(200);
  });
});

describe.skipIf(!inject("postgresUrl"))("/readyz follows the database", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let t: TestServer;
  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    const direct = new URL(db.url!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.host = `127.0.0.1:${proxy.port}`;
    // The server's own directory holds the keystore; its database is reached through the proxy.
    t = await startTestServer({ backend: "pglite", env: { DATABASE_URL: direct.toString() } });
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.close();
    await db?.drop();
  });

  it("503 while PostgreSQL is unreachable, ready again when it returns; liveness stays 200", async () => {
    expect((await probe(t.baseUrl, "/readyz")).status).toBe(200);
    await proxy.cut();
    await expect.poll(async () => (await probe(t.baseUrl, "/readyz")).body, { timeout: 15_000 }).toEqual({ status: "not ready", database: "unreachable", keyring: expect.any(String) });
    expect((await probe(t.baseUrl, "/readyz")).status).toBe(503);
    expect((await probe(t.baseUrl, "/healthz")).status).toBe(200);
    await proxy.restore();
    await expect.poll(async () => (await probe(t.baseUrl, "/readyz")).body, { timeout: 15_000 }).toEqual({ status: "ready", database: "ok", keyring: "ok" });
  }, 60_000);
});
