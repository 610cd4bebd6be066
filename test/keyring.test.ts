import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeyringMismatchError } from "../src/secrets/keyring-loader.js";
import { openServices } from "../src/services.js";
import { DataDirLockedError } from "../src/store/data-dir-lock.js";
import { type TestDatabase, backends, createTestDatabase } from "./support/database.js";
import { alice, scorer } from "./support/services.js";

describe.each(backends())("keyring at start on %s", (backend) => {
  let db: TestDatabase;
  afterEach(async () => {
    await db?.drop();
  });

  const open = (kek: Parameters<typeof openServices>[0]["kek"]) => openServices({ databaseUrl: db.url, dataDir: db.dataDir, kek });

  it("first start creates KEK version 1; a wrong passphrase is refused at start", async () => {
    db = await createTestDatabase(backend);
    const first = await open({ kind: "passphrase", passphrase: "the right passphrase, long enough" });
    expect(first.keyring.active().version).toBe(1);
    const rows = await first.kekStore.list();
    expect(rows).toMatchObject([{ version: 1, source: "passphrase", state: "active" }]);
    expect(rows[0]!.salt).toHaveLength(16);
    await first.secrets.createSecret(alice, { secretName: "k", secretValue: "sk-passphrase-protected-1", secretFields: {}, fieldName: "K", authConfig: {}, isShared: false, requestId: "" }, { resourceType: "JOB", resourceId: "1", fieldName: "K" });
    await first.close();

    await expect(open({ kind: "passphrase", passphrase: "a wrong passphrase, long enough" })).rejects.toThrow(KeyringMismatchError);
    await expect(open({ kind: "passphrase", passphrase: "a wrong passphrase, long enough" })).rejects.toThrow(/does not match KEK version 1/);
    await expect(open({ kind: "keystore", dir: join(db.dataDir, "ks") })).rejects.toThrow(/derived from a passphrase/);

    const again = await open({ kind: "passphrase", passphrase: "the right passphrase, long enough" });
    expect((await again.secrets.resolveResourceSecrets(scorer, "JOB", "1"))[0]!.value).toEqual({ value: "sk-passphrase-protected-1" });
    await again.close();
  });

  it("a keystore with another key, or without the key in use, is refused at start", async () => {
    db = await createTestDatabase(backend);
    const dir = join(db.dataDir, "keystore");
    const first = await open({ kind: "keystore", dir });
    expect(await readdir(dir)).toEqual(["kek-1.key"]);
    await first.close();

    await rm(dir, { recursive: true });
    await expect(open({ kind: "keystore", dir })).rejects.toThrow(/kek-1.key is missing/);
    await mkdir(dir, { mode: 0o700 });
    await writeFile(join(dir, "kek-1.key"), `${Buffer.alloc(32, 9).toString("base64")}\n`, { mode: 0o600 });
    await expect(open({ kind: "keystore", dir })).rejects.toThrow(/does not match KEK version 1/);
    await expect(open({ kind: "passphrase", passphrase: "some passphrase that is long" })).rejects.toThrow(/comes from a keystore/);
  });
});

describe("the embedded database's directory lock", () => {
  it("refuses a second opener with a clear message and frees the lock on close", async () => {
    const db = await createTestDatabase("pglite");
    const kek = { kind: "keystore" as const, dir: join(db.dataDir, "keystore") };
    const first = await openServices({ databaseUrl: undefined, dataDir: db.dataDir, kek });
    const err = await openServices({ databaseUrl: undefined, dataDir: db.dataDir, kek }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toMatch(/in use by process \d+.*stop that server, or go through its API/);
    await first.close();
    const second = await openServices({ databaseUrl: undefined, dataDir: db.dataDir, kek });
    await second.close();
    await db.drop();
  });

  it("takes over a stale lock left by a dead process", async () => {
    const db = await createTestDatabase("pglite");
    // A pid far above pid_max: no such process.
    await writeFile(join(db.dataDir, "secrets.lock"), "2147483646");
    const s = await openServices({ databaseUrl: undefined, dataDir: db.dataDir, kek: { kind: "keystore", dir: join(db.dataDir, "keystore") } });
    await s.close();
    await db.drop();
  });
});
