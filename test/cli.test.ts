import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, startTestServer } from "./support/server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const VALUE = "sk-from-stdin-0000000001";

let t: TestServer;
let user: string;

beforeAll(async () => {
  t = await startTestServer();
  user = await t.token("user", "cli-user");
});
afterAll(async () => {
  await t?.stop();
});

function secretsctl(args: string[], opts: { stdin?: string; token?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", SECRETS_SERVER: t.baseUrl };
    const token = opts.token ?? t.adminToken;
    if (token) env.SECRETS_TOKEN = token;
    const child = execFile(process.execPath, ["bin/secretsctl.js", "secrets", ...args], { cwd: ROOT, env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(opts.stdin ?? "");
  });
}

describe("secretsctl secrets, end to end against a running server", () => {
  it("creates from stdin, reads, updates, binds, unbinds, revokes and deletes", async () => {
    const created = await secretsctl(["create", "--name", "cli-key", "--field", "OPENAI_API_KEY", "--provider", "openai", "--shared", "--auth-config", "region=eu", "-o", "json"], { stdin: `${VALUE}\n` });
    expect(created.code).toBe(0);
    const secret = JSON.parse(created.stdout);
    expect(secret).toMatchObject({ secret_name: "cli-key", masked_value: "sk-...001", provider: "openai", auth_config: { region: "eu" }, is_shared: true });
    expect(created.stdout + created.stderr).not.toContain(VALUE);

    const listed = JSON.parse((await secretsctl(["list", "--shared", "-o", "json"])).stdout) as Array<{ secret_id: string }>;
    expect(listed.map((s) => s.secret_id)).toContain(secret.secret_id);
    const table = await secretsctl(["list"]);
    expect(table.stdout).toMatch(/SECRET_ID\s+SECRET_NAME/);
    expect(table.stdout).toContain("cli-key");

    expect(JSON.parse((await secretsctl(["get", "cli-key", "-o", "json"])).stdout).secret_id).toBe(secret.secret_id);
    const file = join(t.config.dataDir, "new-value");
    await writeFile(file, "sk-from-a-file-00000002\n", { mode: 0o600 });
    const updated = JSON.parse((await secretsctl(["update", secret.secret_id, "--value-file", file, "--model", "gpt-4o", "-o", "json"])).stdout);
    expect(updated).toMatchObject({ version: 2, masked_value: "sk...002", model: "gpt-4o" });

    const bound = JSON.parse((await secretsctl(["bind", secret.secret_id, "--resource", "SCORER_JOB/job-cli", "--field", "OPENAI_API_KEY", "-o", "json"])).stdout);
    expect(bound).toMatchObject({ resource_type: "SCORER_JOB", resource_id: "job-cli" });
    const bindings = JSON.parse((await secretsctl(["list-bindings", "--resource", "SCORER_JOB/job-cli", "-o", "json"])).stdout);
    expect(bindings).toHaveLength(1);
    expect((await secretsctl(["unbind", "--resource", "SCORER_JOB/job-cli", "--field", "OPENAI_API_KEY"])).code).toBe(0);
    expect((await secretsctl(["revoke", secret.secret_id, "-o", "json"])).stdout).toContain("SECRET_STATE_REVOKED");
    expect((await secretsctl(["delete", secret.secret_id])).code).toBe(0);
    expect((await secretsctl(["get", secret.secret_id])).code).toBe(3);
  }, 120_000);

  it("creates multi-field secrets and binds in the same step", async () => {
    const res = await secretsctl(["create", "--name", "aws", "--field", "AWS", "--fields", "--bind", "ENDPOINT/bedrock"], { stdin: JSON.stringify({ AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }) });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ secret: { masked_fields: { AWS_ACCESS_KEY_ID: "AK...PLE" } }, binding: { resource_type: "ENDPOINT" } });
  });

  it.each([
    ["not found", ["get", "01a20000-0000-7000-8000-000000000000"], {}, 3],
    ["bad input", ["create", "--name", "", "--field", "K"], { stdin: VALUE }, 2],
    ["a malformed resource", ["bind", "x", "--resource", "nope", "--field", "K"], {}, 2],
    ["no token", ["list"], { token: "" }, 4],
    ["a bad token", ["list"], { token: `sst_${"B".repeat(43)}` }, 4],
    ["conflict", ["create", "--name", "dup", "--field", "K", "--shared"], { stdin: VALUE }, 5],
  ] as const)("exits with a code scripts can rely on: %s", async (_what, args, opts, code) => {
    if (code === 5) await secretsctl(["create", "--name", "dup", "--field", "K", "--shared"], { stdin: VALUE });
    const res = await secretsctl([...args], opts);
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(/^secretsctl: /m);
    expect(res.stderr).not.toContain(VALUE);
  });

  it("refuses to make a secret shared by binding it to GLOBAL unless --shared says so", async () => {
    const res = await secretsctl(["create", "--name", "implicitly-shared", "--field", "K", "--bind", "GLOBAL/global"], { stdin: VALUE });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("binding to GLOBAL makes the secret shared: visible to everyone and resolvable by every GLOBAL consumer. Add --shared");
    expect((await secretsctl(["get", "implicitly-shared"])).code).toBe(3);
    const shared = await secretsctl(["create", "--name", "explicitly-shared", "--field", "K", "--bind", "GLOBAL/global", "--shared"], { stdin: VALUE });
    expect(shared.code).toBe(0);
    expect(JSON.parse(shared.stdout)).toMatchObject({ secret: { is_shared: true }, binding: { resource_type: "GLOBAL" } });
  });

  it("names the flag the user typed when its resource is malformed", async () => {
    const res = await secretsctl(["create", "--name", "x", "--field", "K", "--bind", "SCORER_JOB"], { stdin: VALUE });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--bind takes TYPE/ID, e.g. SCORER_JOB/job-42, not "SCORER_JOB"');
  });

  it("shows, grants and withdraws access to a resource", async () => {
    await secretsctl(["create", "--name", "owned-key", "--field", "K", "--bind", "SCORER_JOB/owned-by-cli-user"], { stdin: VALUE, token: user });
    const granted = await secretsctl(["grant", "SCORER_JOB/owned-by-cli-user", "--principal", "teammate", "-o", "json"], { token: user });
    expect(granted.code).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ owner: "cli-user", grants: [{ principal: "teammate", granted_by: "cli-user" }] });
    expect(JSON.parse((await secretsctl(["access", "SCORER_JOB/owned-by-cli-user", "-o", "json"], { token: user })).stdout)).toMatchObject({ owner: "cli-user" });
    expect((await secretsctl(["revoke-grant", "SCORER_JOB/owned-by-cli-user", "--principal", "teammate"], { token: user })).code).toBe(0);
    const stranger = await secretsctl(["list-bindings", "--resource", "SCORER_JOB/owned-by-cli-user"], { token: await t.token("user", "stranger") });
    expect(stranger.code).toBe(4);
    expect(stranger.stderr).toContain("belongs to another principal");
  });

  it("permission denied is exit code 4", async () => {
    const created = JSON.parse((await secretsctl(["create", "--name", "admins-shared", "--field", "K", "--shared", "-o", "json"], { stdin: VALUE })).stdout);
    const res = await secretsctl(["update", created.secret_id, "--provider", "x"], { token: user });
    expect(res.code).toBe(4);
  });

  it("has --help on every command", async () => {
    const commands = [[], ["create"], ["list"], ["get"], ["update"], ["revoke"], ["delete"], ["bind"], ["unbind"], ["list-bindings"], ["access"], ["grant"], ["revoke-grant"], ["transfer"]];
    const results = await Promise.all(commands.map((cmd) => secretsctl([...cmd, "--help"])));
    for (const res of results) {
      expect(res.code).toBe(0);
      expect(res.stdout).toContain("Usage: secretsctl secrets");
    }
  }, 60_000);
});
