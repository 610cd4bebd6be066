import { type ChildProcess, execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { type TestDatabase, createTestDatabase } from "./support/database.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { caller } from "./support/services.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const admin = caller("rotation-admin", "admin");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * KEK rotation while the service serves, as an operator does it: secretsctl
 * processes against the same PostgreSQL as running replicas.
 */
describe.skipIf(!inject("postgresUrl"))("KEK rotation with zero downtime", () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let keystore: string;
  let cliEnv: Record<string, string>;

  const cli = (...args: string[]) =>
    new Promise<CliResult>((resolve) => {
      execFile(process.execPath, ["bin/secretsctl.js", ...args], { cwd: ROOT, env: cliEnv }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const counts = async () => Object.fromEntries(await a.server.services.kekStore.valueCounts());

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    // One service token resolves as fast as six workers can: no per-principal limit may hold it back.
    const env = { DATABASE_URL: db.url!, SECRETS_KEK_POLL_MS: "200", SECRETS_RESOLVE_BURST: "1000000", SECRETS_CALL_BURST: "1000000", SECRETS_LOG_LEVEL: "warn" };
    a = await startTestServer({ env });
    keystore = a.config.kek.kind === "keystore" ? a.config.kek.dir : "";
    b = await startTestServer({ env: { ...env, SECRETS_KEYSTORE_PATH: keystore, SECRETS_BOOTSTRAP_TOKEN: "" } });
    cliEnv = { PATH: process.env.PATH ?? "", DATABASE_URL: db.url!, SECRETS_KEYSTORE_PATH: keystore, SECRETS_DATA_DIR: db.dataDir };
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it("generate → activate → rewrap → retire under a stream of resolves and updates: no failed request", async () => {
    const service = await a.token("service", "rotation-resolver");
    const N = 30;
    const latest = new Map<number, string>();
    for (let i = 0; i < N; i++) {
      await a.server.services.secrets.createSecret(
        admin,
        { secretName: `rot-${i}`, secretValue: `sk-rotation-${i}-v0-000000`, secretFields: {}, fieldName: "KEY", authConfig: {}, isShared: true, requestId: "" },
        { resourceType: "JOB", resourceId: `job-${i}`, fieldName: "KEY" },
      );
      latest.set(i, `sk-rotation-${i}-v0-000000`);
    }
    const clients = [a, b].map((s) => createClient(SecretsService, createGrpcTransport({ baseUrl: s.baseUrl })));
    const headers = { authorization: `Bearer ${service}` };
    const adminHeaders = { authorization: `Bearer ${a.adminToken}` };
    const ids = new Map<number, string>();
    for (const s of (await clients[0]!.listSecrets({ pageSize: 1000 }, { headers: adminHeaders })).secrets) ids.set(Number(s.secretName.slice(4)), s.secretId);

    let stop = false;
    const failures: string[] = [];
    let calls = 0;
    const worker = async (w: number) => {
      for (let k = 0; !stop && k < 100_000; k++) {
        const i = (w * 7 + k) % N;
        const client = clients[k % 2]!;
        try {
          if (k % 4 === 0) {
            const value = `sk-rotation-${i}-w${w}k${k}-000`;
            await client.updateSecret({ secretId: ids.get(i)!, secretValue: value }, { headers: adminHeaders });
            latest.set(i, value);
          } else {
            const res = await client.resolveResourceSecrets({ resourceType: "JOB", resourceId: `job-${i}` }, { headers });
            if (!res.secrets[0]?.value.startsWith(`sk-rotation-${i}-`)) failures.push(`wrong value for ${i}`);
          }
          calls++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));

    const generated = await cli("kek", "generate");
    expect(generated).toMatchObject({ code: 0, stdout: "2\n" });
    expect((await cli("kek", "activate", "--version", "2")).code).toBe(0);
    // Every replica switches within the poll interval.
    await expect.poll(() => [a, b].map((s) => s.server.services.keyring.active().version), { timeout: 5_000 }).toEqual([2, 2]);
    const rewrap = await cli("rewrap", "--batch-size", "7");
    expect(rewrap.code).toBe(0);
    expect(rewrap.stdout).toMatch(/rewrap to KEK version 2: \d+ re-wrapped, 0 failed/);
    const retire = await cli("kek", "retire", "--version", "1");
    expect(retire).toMatchObject({ code: 0 });
    await expect.poll(() => [a, b].map((s) => s.server.services.keyring.versions()), { timeout: 5_000 }).toEqual([[2], [2]]);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await load;

    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(50);
    const status = await clients[1]!.getKeyringStatus({}, { headers: adminHeaders });
    expect(status.activeVersion).toBe(2);
    expect(status.versions.map((v) => [v.version, v.state, Number(v.valueCount)])).toEqual([
      [1, "retired", 0],
      [2, "active", Number(status.versions[1]!.valueCount)],
    ]);
    for (const [i, value] of latest) {
      const res = await clients[0]!.resolveResourceSecrets({ resourceType: "JOB", resourceId: `job-${i}` }, { headers });
      expect(res.secrets[0]?.value).toBe(value);
    }
    const verify = await cli("kek", "verify", "-o", "json");
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ failed: 0, byKekVersion: { "2": expect.any(Number) } });
    expect(verify.stdout + verify.stderr).not.toMatch(/sk-rotation/);
  }, 120_000);

  it("a crashed rewrap (SIGKILL) resumes: nothing lost or double-wrapped", async () => {
    for (let i = 0; i < 300; i++) {
      await a.server.services.secrets.createSecret(admin, { secretName: `crash-${i}`, secretValue: `sk-crash-${i}-0000000000`, secretFields: {}, fieldName: "K", authConfig: {}, isShared: true, requestId: "" });
    }
    expect((await cli("kek", "generate")).stdout).toBe("3\n");
    expect((await cli("kek", "activate", "--version", "3")).code).toBe(0);
    const before = await counts();
    const total = Object.values(before).reduce((x, y) => x + y, 0);

    const child: ChildProcess = spawn(process.execPath, ["bin/secretsctl.js", "rewrap", "--batch-size", "5"], { cwd: ROOT, env: cliEnv, stdio: "ignore" });
    await expect.poll(async () => (await counts())[3] ?? 0, { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const midway = await counts();
    expect(midway[3]).toBeLessThan(total);
    expect(Object.values(midway).reduce((x, y) => x + y, 0)).toBe(total);

    const rerun = await cli("rewrap", "--batch-size", "50");
    expect(rerun.code).toBe(0);
    expect(await counts()).toEqual({ 3: total });
    const verify = await cli("kek", "verify", "-o", "json");
    expect(JSON.parse(verify.stdout)).toMatchObject({ verified: total, failed: 0 });
  }, 120_000);

  it("retire is refused while a value uses the version; verify names a tampered secret", async () => {
    expect((await cli("kek", "generate")).stdout).toBe("4\n");
    const refused = await cli("kek", "retire", "--version", "3");
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/3 is active|still wrapped under KEK version 3/);
    expect((await cli("kek", "activate", "--version", "4")).code).toBe(0);
    const stillUsed = await cli("kek", "retire", "--version", "3");
    expect(stillUsed.code).toBe(5);
    expect(stillUsed.stderr).toMatch(/stored values are still wrapped under KEK version 3: run secretsctl rewrap first/);

    const { secret } = await a.server.services.secrets.createSecret(admin, { secretName: "tampered", secretValue: "sk-tampered-0000000000", secretFields: {}, fieldName: "K", authConfig: {}, isShared: true, requestId: "" });
    await a.server.services.database.db.execute(sql`update secret_versions set wrapped_dek = set_byte(wrapped_dek, 20, get_byte(wrapped_dek, 20) # 1) where secret_id = ${secret.id}`);
    const verify = await cli("kek", "verify");
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(`FAILED secret ${secret.id} version 1`);
    expect(verify.stdout + verify.stderr).not.toContain("sk-tampered");
    const list = await cli("kek", "list", "-o", "json");
    expect(JSON.parse(list.stdout).map((r: { version: number; state: string }) => [r.version, r.state])).toEqual([
      [1, "retired"],
      [2, "inactive"],
      [3, "inactive"],
      [4, "active"],
    ]);
  }, 60_000);
});
