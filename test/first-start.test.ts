import { cp, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { ensureBootstrapToken } from "../src/server/bootstrap.js";
import { openDatabase } from "../src/store/database.js";
import { TokenStore } from "../src/store/token-store.js";
import { type TestDatabase, createTestDatabase, preferredBackend } from "./support/database.js";
import { spawnService } from "./support/process.js";

const TOKEN_LINE = /\n {2}(sst_[A-Za-z0-9_-]{43})\n/;
const KEYSTORE_WARNING = "the KEK keystore is inside the data directory";

async function occupiedPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  return { port: (blocker.address() as net.AddressInfo).port, release: () => new Promise((resolve) => blocker.close(() => resolve())) };
}

describe("first start, run as a process on the embedded default", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("pglite");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("a first start that cannot listen shows no token and keeps none: the next start shows one that works", async () => {
    const busy = await occupiedPort();
    try {
      const failed = spawnService({ SECRETS_DATA_DIR: db.dataDir, SECRETS_ADDR: `127.0.0.1:${busy.port}` });
      expect(await failed.exited).toBe(1);
      expect(failed.stdout()).toContain("EADDRINUSE");
      expect(failed.stderr()).not.toContain("sst_");
    } finally {
      await busy.release();
    }

    const svc = spawnService({ SECRETS_DATA_DIR: db.dataDir });
    const port = await svc.listening;
    await expect.poll(() => svc.stderr(), { timeout: 5_000 }).toMatch(TOKEN_LINE);
    const token = TOKEN_LINE.exec(svc.stderr())![1]!;
    expect(svc.stdout()).not.toContain(token);
    // An admin-only call: the token printed is the admin credential, and it works.
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    const audit = await client.listAuditEvents({}, { headers: { authorization: `Bearer ${token}` } });
    expect(audit.events).toEqual([]);
    expect(svc.stdout()).toContain(KEYSTORE_WARNING);
    svc.child.kill("SIGTERM");
    expect(await svc.exited).toBe(0);
  }, 90_000);

  it("a replica without the keystore refuses to start; with a copy outside the data directory it starts without the warning", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "secrets-keystore-"));
    try {
      const empty = spawnService({ SECRETS_DATA_DIR: db.dataDir, SECRETS_KEYSTORE_PATH: join(elsewhere, "none") });
      expect(await empty.exited).toBe(1);
      expect(empty.stdout()).toContain("KEK version 1 is in use but kek-1.key is missing from the keystore");

      await cp(join(db.dataDir, "keystore"), join(elsewhere, "keystore"), { recursive: true });
      const svc = spawnService({ SECRETS_DATA_DIR: db.dataDir, SECRETS_KEYSTORE_PATH: join(elsewhere, "keystore") });
      await svc.listening;
      expect(svc.stdout()).not.toContain(KEYSTORE_WARNING);
      expect(svc.stderr()).not.toContain("sst_");
      svc.child.kill("SIGTERM");
      expect(await svc.exited).toBe(0);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  }, 90_000);
});

describe.skipIf(!inject("postgresUrl"))("first start with SECRETS_WORKERS", () => {
  it("workers that cannot listen stop the start instead of restarting forever; the next start shows the token once a worker listens", async () => {
    const db = await createTestDatabase("postgres");
    const busy = await occupiedPort();
    try {
      const env = { SECRETS_DATA_DIR: db.dataDir, DATABASE_URL: db.url!, SECRETS_WORKERS: "2" };
      const failed = spawnService({ ...env, SECRETS_ADDR: `127.0.0.1:${busy.port}` });
      expect(await failed.exited).toBe(1);
      expect(failed.stdout()).toContain("a worker could not start; stopping");
      expect(failed.stdout()).not.toContain("worker died; starting another");
      expect(failed.stderr()).not.toContain("sst_");

      const svc = spawnService(env);
      const port = await svc.listening;
      await expect.poll(() => svc.stderr(), { timeout: 10_000 }).toMatch(TOKEN_LINE);
      const token = TOKEN_LINE.exec(svc.stderr())![1]!;
      const client = createClient(SecretsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      expect((await client.listAuditEvents({}, { headers: { authorization: `Bearer ${token}` } })).events).toEqual([]);
      svc.child.kill("SIGTERM");
      expect(await svc.exited).toBe(0);
    } finally {
      await busy.release();
      await db.drop();
    }
  }, 90_000);
});

describe("the bootstrap token is shown before it commits", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(preferredBackend());
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("a process that dies after showing it leaves no token, and the next start shows a new one", async () => {
    const database = await openDatabase({ url: db.url, dataDir: db.dataDir });
    try {
      const store = new TokenStore(database.db);
      const died = new Error("died after showing the token");
      const shown: string[] = [];
      const first = ensureBootstrapToken(store, undefined, (token) => {
        shown.push(token);
        throw died;
      });
      await expect(first).rejects.toBe(died);
      expect(await store.list()).toEqual([]);

      await ensureBootstrapToken(store, undefined, (token) => shown.push(token));
      expect(shown).toHaveLength(2);
      expect(shown[1]).not.toBe(shown[0]);
      expect((await store.list()).map((t) => [t.name, t.role])).toEqual([["bootstrap-admin", "admin"]]);
      await ensureBootstrapToken(store, undefined, (token) => shown.push(token));
      expect(shown).toHaveLength(2);
    } finally {
      await database.close();
    }
  });

  it.skipIf(!inject("postgresUrl"))("replicas starting together on an empty database show one token between them", async () => {
    const empty = await createTestDatabase("postgres");
    const replicas = await Promise.all(Array.from({ length: 3 }, () => openDatabase({ url: empty.url, dataDir: empty.dataDir, poolSize: 2 })));
    try {
      const shown: string[] = [];
      await Promise.all(replicas.map((r) => ensureBootstrapToken(new TokenStore(r.db), undefined, (token) => shown.push(token))));
      expect(shown).toHaveLength(1);
      expect(await new TokenStore(replicas[0]!.db).list()).toHaveLength(1);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await empty.drop();
    }
  });
});
