import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase } from "../src/store/database.js";
import { secretsctl } from "./support/cli.js";
import { type TestDatabase, createTestDatabase, sqlRows } from "./support/database.js";
import { startTestServer } from "./support/server.js";

/**
 * secretsctl's direct-database commands: which database they open, that they
 * create none unless told to, the principal-reuse guard, and the audit events
 * they leave.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const cli = (...args: string[]) => secretsctl(args, { env: { SECRETS_DATA_DIR: db.dataDir, ...(db.url ? { DATABASE_URL: db.url } : {}) } });

describe("secretsctl on the database directly", () => {
  it("a token for an existing principal with another role must be asked for explicitly, and every token and KEK operation is audited", async () => {
    const user = await cli("--init", "token", "create", "--name", "bob", "--role", "user");
    expect(user.code).toBe(0);
    const again = await cli("token", "create", "--name", "bob", "--role", "user");
    expect(again.code).toBe(0);

    const escalated = await cli("token", "create", "--name", "bob", "--role", "admin");
    expect(escalated.code).toBe(5);
    expect(escalated.stderr).toContain("principal bob already holds live tokens with role user");
    expect(escalated.stderr).toContain("--same-principal");
    expect(escalated.stdout).toBe("");

    const confirmed = await cli("token", "create", "--name", "bob", "--role", "admin", "--same-principal", "-o", "json");
    expect(confirmed.code).toBe(0);
    const { api_token: { token_id: id }, token } = JSON.parse(confirmed.stdout) as { api_token: { token_id: string }; token: string };
    expect((await cli("token", "revoke", id)).code).toBe(0);
    const generated = await cli("kek", "generate");
    expect(generated.code).toBe(0);

    const database = await openDatabase({ url: db.url, dataDir: db.dataDir });
    try {
      const events = await sqlRows<{ principal: string; action: string; resource_type: string; resource_id: string; subject: string | null; peer: string }>(
        database.db,
        sql`select principal, action, resource_type, resource_id, subject, peer from audit_events order by event_id`,
      );
      expect(events.map((e) => e.action)).toEqual(["CreateApiToken", "CreateApiToken", "CreateApiToken", "RevokeApiToken", "GenerateKek"]);
      for (const e of events) expect(e).toMatchObject({ principal: expect.stringMatching(/^secretsctl:/), peer: "local" });
      expect(events[2]).toMatchObject({ resource_type: "API_TOKEN", resource_id: id, subject: "bob (admin)" });
      expect(events[4]).toMatchObject({ resource_type: "KEK", resource_id: generated.stdout.trim() });
      expect(JSON.stringify(events)).not.toContain(token);
    } finally {
      await database.close();
    }
  }, 120_000);

  it("refuses to create a database unless --init says so, and says which one it opened", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "secretsctl-elsewhere-"));
    try {
      // Run from another directory, without the server's configuration: ./data there does not exist.
      const refused = await secretsctl(["token", "create", "--name", "lost", "--role", "user"], { cwd: elsewhere });
      expect(refused).toMatchObject({ code: 3, stdout: "" });
      expect(refused.stderr).toContain(`secretsctl: the embedded database in ${join(elsewhere, "data")} (SECRETS_DATA_DIR unset: ./data) does not exist.`);
      expect(refused.stderr).toContain("pass --init to create a new database there");
      expect(existsSync(join(elsewhere, "data"))).toBe(false);

      const created = await secretsctl(["--init", "token", "create", "--name", "first", "--role", "admin"], { cwd: elsewhere });
      expect(created.code).toBe(0);
      expect(created.stderr).toContain(`secretsctl: creating the embedded database in ${join(elsewhere, "data")}`);
      const listed = await secretsctl(["token", "list", "-o", "json"], { cwd: elsewhere });
      expect(listed.stderr).toContain(`secretsctl: using the embedded database in ${join(elsewhere, "data")}`);
      // The shape ListApiTokens answers over REST, whichever mode listed it.
      expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: "first", roles: ["admin"], created_at: expect.stringMatching(/^\d{13}$/) })]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  }, 60_000);

  it.skipIf(!inject("postgresUrl"))("on PostgreSQL, refuses a database no migration ever ran on unless --init, and never prints its password", async () => {
    const empty = await createTestDatabase("postgres");
    try {
      const url = new URL(empty.url!);
      url.password = "not-the-real-one";
      const env = { DATABASE_URL: url.toString(), SECRETS_DATA_DIR: empty.dataDir };
      const refused = await secretsctl(["migrate"], { env });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(`the PostgreSQL database ${url.toString().replace("not-the-real-one", "***")} (DATABASE_URL) has no schema`);
      expect(refused.stderr).not.toContain("not-the-real-one");
      expect(await secretsctl(["--init", "migrate", "-o", "json"], { env })).toMatchObject({ code: 0, stdout: expect.stringContaining('"database": "postgres"') });
      expect((await secretsctl(["kek", "list"], { env })).stderr).toContain("secretsctl: using the PostgreSQL database");
    } finally {
      await empty.drop();
    }
  }, 60_000);

  it("while a server holds the embedded database, names the ways that exist: kek list through its API works", async () => {
    const t = await startTestServer({ backend: "pglite" });
    try {
      const env = { SECRETS_DATA_DIR: t.config.dataDir, SECRETS_TOKEN: t.adminToken, SECRETS_ADDR: `127.0.0.1:${t.port}` };
      const locked = await secretsctl(["kek", "list"], { env });
      expect(locked.code).toBe(6);
      expect(locked.stderr).toContain(`the embedded database in ${t.config.dataDir} is in use by process ${process.pid}`);
      expect(locked.stderr).toContain("secretsctl secrets …, resolve, run, audit, kek list --server");
      const viaApi = await secretsctl(["kek", "list", "--server", "-o", "json"], { env });
      expect(viaApi.code).toBe(0);
      expect(viaApi.stderr).toContain(`through the API of 127.0.0.1:${t.port}`);
      expect(JSON.parse(viaApi.stdout)).toEqual([expect.objectContaining({ version: 1, state: "active", loaded: true })]);
    } finally {
      await t.stop();
    }
  }, 60_000);

  it("rewrap and verify report in plain lines and tables: no \"run again\" when nothing was skipped, no JSON inside a table", async () => {
    const t = await startTestServer({ backend: "pglite" });
    await t.server.services.secrets.createSecret(
      { principal: { subject: "local-test", roles: ["admin"] }, requestId: "local-test", peer: "test" },
      { secretName: "wrapped", secretValue: "sk-wrapped-value-0000001", secretFields: {}, fieldName: "K", authConfig: {}, isShared: true, requestId: "" },
    );
    const env = { SECRETS_DATA_DIR: t.config.dataDir };
    // Stopping the server releases the embedded database; stop() would also remove it, so it is closed here instead.
    await t.server.close();
    try {
      const rewrap = await secretsctl(["rewrap"], { env });
      expect(rewrap.code).toBe(0);
      expect(rewrap.stdout).toBe("rewrap to KEK version 1: 0 re-wrapped, 0 failed, 0 skipped\n");
      const verify = await secretsctl(["kek", "verify"], { env });
      expect(verify.code).toBe(0);
      expect(verify.stdout).toMatch(/^KEK_VERSION\s+VALUES_VERIFIED\n1\s+1\n1 verified, 0 failed\n$/);
      expect(verify.stdout).not.toContain("{");
    } finally {
      await rm(t.config.dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
