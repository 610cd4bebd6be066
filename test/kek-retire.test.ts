import { execFile } from "node:child_process";
import { access, link, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openServices } from "../src/services.js";
import { type TestDatabase, createTestDatabase } from "./support/database.js";
import { admin } from "./support/services.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const VALUE = "sk-retired-kek-value-0001";

/** secretsctl kek retire on the database directly, as an operator runs it (the embedded database: with the server stopped). */
describe("secretsctl kek retire --destroy", () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const keyFile = (v: number) => join(db.dataDir, "keystore", `kek-${v}.key`);
  const present = (path: string) => access(path).then(() => true, () => false);
  const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["bin/secretsctl.js", ...args], { cwd: ROOT, env: { ...env, ...extraEnv } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { PATH: process.env.PATH ?? "", SECRETS_DATA_DIR: db.dataDir, ...(db.url ? { DATABASE_URL: db.url } : {}) };
    const services = await openServices({ databaseUrl: db.url, dataDir: db.dataDir, kek: { kind: "keystore", dir: join(db.dataDir, "keystore") } });
    try {
      await services.secrets.createSecret(admin, { secretName: "under-v1", secretValue: VALUE, secretFields: {}, fieldName: "K", authConfig: {}, isShared: true, requestId: "" });
    } finally {
      await services.close();
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("is refused while a value uses the version, says the key file stays without --destroy, and overwrites and removes it with", async () => {
    expect((await cli(["kek", "generate"])).stdout).toBe("2\n");
    expect((await cli(["kek", "activate", "--version", "2"])).code).toBe(0);
    const inUse = await cli(["kek", "retire", "--version", "1", "--destroy"]);
    expect(inUse.code).toBe(5);
    expect(inUse.stderr).toContain("stored values are still wrapped under KEK version 1");
    expect(await present(keyFile(1))).toBe(true);

    expect((await cli(["rewrap"])).code).toBe(0);
    const kept = await cli(["kek", "retire", "--version", "1"]);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toContain(`${keyFile(1)} is still on disk`);
    expect(kept.stderr).toContain("secretsctl kek retire --version 1 --destroy");
    expect(await present(keyFile(1))).toBe(true);

    // A second name for the same file shows what its blocks hold after the destroy.
    const original = await readFile(keyFile(1));
    const sameFile = join(db.dataDir, "kek-1.observed");
    await link(keyFile(1), sameFile);
    const destroyed = await cli(["kek", "retire", "--version", "1", "--destroy"]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stderr).toContain(`${keyFile(1)} was overwritten and removed`);
    expect(await present(keyFile(1))).toBe(false);
    const after = await readFile(sameFile);
    expect(after.length).toBe(original.length);
    expect(after.equals(original)).toBe(false);
    expect(after.toString("latin1")).not.toContain(original.toString("utf8").trim());

    const again = await cli(["kek", "retire", "--version", "1", "--destroy"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("does not exist: nothing to destroy");
    // The service still opens every value, with version 1 gone.
    const verify = await cli(["kek", "verify", "-o", "json"]);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verified: 1, failed: 0, byKekVersion: { 2: 1 } });
    expect(await present(keyFile(2))).toBe(true);
  }, 120_000);

  it("--destroy under a passphrase is a usage error that changes nothing", async () => {
    const refused = await cli(["kek", "retire", "--version", "2", "--destroy"], { SECRETS_KEK_PASSPHRASE: "a passphrase of sixteen+" });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--destroy removes a keystore key file");
    expect(JSON.parse((await cli(["kek", "list", "-o", "json"])).stdout).map((r: { version: number; state: string }) => [r.version, r.state])).toEqual([
      [1, "retired"],
      [2, "active"],
    ]);
  });

});
