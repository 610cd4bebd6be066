import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/store/database.js";
import { type TestDatabase, createTestDatabase, sqlRows } from "./support/database.js";

/** secretsctl's direct-database commands: the principal-reuse guard, and the audit events they leave. */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", SECRETS_DATA_DIR: db.dataDir, ...(db.url ? { DATABASE_URL: db.url } : {}) };
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/secretsctl.js", ...args], { cwd: ROOT, env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("secretsctl on the database directly", () => {
  it("a token for an existing principal with another role must be asked for explicitly, and every token and KEK operation is audited", async () => {
    const user = await cli("token", "create", "--name", "bob", "--role", "user");
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
    const { id, token } = JSON.parse(confirmed.stdout) as { id: string; token: string };
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
});
