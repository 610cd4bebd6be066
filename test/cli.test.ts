import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliOptions, ROOT, SECRETSCTL, secretsctl as run } from "./support/cli.js";
import { type TestServer, startTestServer } from "./support/server.js";

const VALUE = "sk-from-stdin-0000000001";
const TYPED = "sk-typed-at-a-terminal-000007";
const HUMAN_TIME = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/;

let t: TestServer;
let user: string;

beforeAll(async () => {
  t = await startTestServer();
  user = await t.token("user", "cli-user");
});
afterAll(async () => {
  await t?.stop();
});

function secretsctl(args: string[], opts: { stdin?: string; token?: string; env?: Record<string, string> } = {}) {
  const env: CliOptions["env"] = { SECRETS_SERVER: t.baseUrl, ...opts.env };
  const token = opts.token ?? t.adminToken;
  if (token) env.SECRETS_TOKEN = token;
  return run(["secrets", ...args], { env, stdin: opts.stdin });
}

const json = async (args: string[], opts: { stdin?: string; token?: string } = {}) => {
  const res = await secretsctl([...args, "-o", "json"], opts);
  expect(res.stderr).not.toMatch(/^secretsctl: /m);
  return JSON.parse(res.stdout);
};

describe("secretsctl secrets, end to end against a running server", () => {
  it("creates from stdin, reads, updates, binds, unbinds, revokes and deletes", async () => {
    const created = await secretsctl(["create", "--name", "cli-key", "--field", "OPENAI_API_KEY", "--provider", "openai", "--shared", "--auth-config", "region=eu", "-o", "json"], { stdin: `${VALUE}\n` });
    expect(created.code).toBe(0);
    const secret = JSON.parse(created.stdout);
    expect(secret).toMatchObject({ secret_name: "cli-key", masked_value: "sk-...001", provider: "openai", auth_config: { region: "eu" }, is_shared: true });
    expect(created.stdout + created.stderr).not.toContain(VALUE);

    const listed = (await json(["list", "--shared"])) as Array<{ secret_id: string }>;
    expect(listed.map((s) => s.secret_id)).toContain(secret.secret_id);
    const table = await secretsctl(["list"]);
    expect(table.stdout).toMatch(/SECRET_ID\s+SECRET_NAME/);
    expect(table.stdout).toContain("cli-key");

    expect((await json(["get", "cli-key"])).secret_id).toBe(secret.secret_id);
    const file = join(t.config.dataDir, "new-value");
    await writeFile(file, "sk-from-a-file-00000002\n", { mode: 0o600 });
    const updated = await json(["update", secret.secret_id, "--value-file", file, "--model", "gpt-4o"]);
    expect(updated).toMatchObject({ version: 2, masked_value: "sk...002", model: "gpt-4o" });

    const bound = await json(["bind", secret.secret_id, "--resource", "SCORER_JOB/job-cli", "--field", "OPENAI_API_KEY"]);
    expect(bound).toMatchObject({ resource_type: "SCORER_JOB", resource_id: "job-cli" });
    expect(await json(["list-bindings", "--resource", "SCORER_JOB/job-cli"])).toHaveLength(1);
    expect((await secretsctl(["unbind", "--resource", "SCORER_JOB/job-cli", "--field", "OPENAI_API_KEY"])).code).toBe(0);
    expect((await json(["revoke", secret.secret_id])).state).toBe("SECRET_STATE_REVOKED");
    expect(await json(["delete", secret.secret_id])).toEqual({ secret_id: secret.secret_id, deleted: true });
    expect((await secretsctl(["get", secret.secret_id])).code).toBe(3);
  }, 120_000);

  it("speaks MLflow's spellings: a positional name, names everywhere a secret is named, --resource-type/--resource-id, --name for the field", async () => {
    const created = await secretsctl(["create", "my-openai-key", "--field", "OPENAI_API_KEY", "--shared", "-o", "json"], { stdin: VALUE });
    expect(created.code).toBe(0);
    const id = JSON.parse(created.stdout).secret_id;
    expect((await json(["update", "my-openai-key", "--model", "gpt-4o"])).model).toBe("gpt-4o");
    expect((await json(["update", "my-openai-key", "--value"], { stdin: "sk-second-version-000003" })).version).toBe(2);
    // Both versions, newest first, with their authors and KEK versions; never a value.
    const versions = await json(["versions", "my-openai-key"]);
    expect(versions).toEqual([expect.objectContaining({ version: 2, kek_version: 1 }), expect.objectContaining({ version: 1, kek_version: 1 })]);
    expect(JSON.stringify(versions)).not.toContain("sk-second-version");
    const binding = await json(["bind", "my-openai-key", "--resource-type", "SCORER_JOB", "--resource-id", "scorer-123", "--name", "api_key"]);
    expect(binding).toMatchObject({ secret_id: id, resource_type: "SCORER_JOB", resource_id: "scorer-123", field_name: "api_key" });
    expect((await json(["list-bindings", "--resource-type", "SCORER_JOB"])).map((b: { binding_id: string }) => b.binding_id)).toContain(binding.binding_id);
    expect((await json(["list-bindings", "--secret", "my-openai-key"])).map((b: { binding_id: string }) => b.binding_id)).toEqual([binding.binding_id]);
    expect(await json(["unbind", "--resource-type", "SCORER_JOB", "--resource-id", "scorer-123", "--name", "api_key"])).toMatchObject({ field_name: "api_key", unbound: true });
    expect((await json(["revoke", "my-openai-key"])).state).toBe("SECRET_STATE_REVOKED");
    expect(await json(["delete", "my-openai-key"])).toEqual({ secret_id: id, deleted: true });
    expect((await secretsctl(["get", "my-openai-key"])).code).toBe(3);
  }, 60_000);

  it("a name means your private secret first, then the shared one; an admin is told when several owners have it", async () => {
    const other = await t.token("user", "cli-other");
    const shared = await json(["create", "twin", "--field", "K", "--shared"], { stdin: VALUE });
    const mine = await json(["create", "twin", "--field", "K"], { stdin: VALUE, token: user });
    expect((await json(["get", "twin"], { token: user })).secret_id).toBe(mine.secret_id);
    expect((await json(["get", "twin"], { token: other })).secret_id).toBe(shared.secret_id);
    await json(["create", "only-private", "--field", "K"], { stdin: VALUE, token: user });
    await json(["create", "only-private", "--field", "K"], { stdin: VALUE, token: other });
    const ambiguous = await secretsctl(["revoke", "only-private"]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/2 principals have a private secret named "only-private" \((cli-user, cli-other|cli-other, cli-user)\): pass its secret_id/);
  });

  it("never takes a value from the command line: --value with one is refused and nothing is created", async () => {
    const res = await secretsctl(["create", "argv-key", "--field", "K", "--value", VALUE], { stdin: VALUE });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("secretsctl does not take a value on the command line");
    expect(res.stderr).not.toContain(VALUE);
    expect((await secretsctl(["get", "argv-key"])).code).toBe(3);
  });

  it("prints one shape per object: JSON is the REST answer, with false and empty fields; tables have times a person reads", async () => {
    const created = await json(["create", "shape-key", "--field", "K", "--bind", "SCORER_JOB/shape-job"], { stdin: VALUE, token: user });
    expect(created.secret).toMatchObject({ is_shared: false, masked_fields: {}, auth_config: {} });
    expect(created.secret).not.toHaveProperty("model");
    const rest = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/get?secret_id=${created.secret.secret_id}`, { headers: { authorization: `Bearer ${user}` } });
    expect(await json(["get", "shape-key"], { token: user })).toEqual(((await rest.json()) as { secret: unknown }).secret);
    expect(created.secret.created_at).toMatch(/^\d{13}$/);

    const table = await secretsctl(["create", "shape-table", "--field", "K", "--bind", "SCORER_JOB/shape-job-2"], { stdin: VALUE, token: user });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^secret_name\s+shape-table$/m);
    expect(table.stdout).toMatch(/^is_shared\s+false$/m);
    expect(table.stdout).toMatch(/^resource_id\s+shape-job-2$/m);
    expect(table.stdout).toMatch(new RegExp(`^created_at\\s+${HUMAN_TIME.source}$`, "m"));
    expect(table.stdout).not.toContain("{");
    expect((await secretsctl(["list"], { token: user })).stdout).toMatch(new RegExp(`shape-table .*${HUMAN_TIME.source}`));
  });

  it("creates multi-field secrets and binds in the same step", async () => {
    const res = await secretsctl(["create", "--name", "aws", "--field", "AWS", "--fields", "--bind", "ENDPOINT/bedrock", "-o", "json"], {
      stdin: JSON.stringify({ AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }),
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ secret: { masked_fields: { AWS_ACCESS_KEY_ID: "AK...PLE" } }, binding: { resource_type: "ENDPOINT" } });
  });

  it.each([
    ["not found", ["get", "01a20000-0000-7000-8000-000000000000"], {}, 3],
    ["bad input", ["create", "--name", "", "--field", "K"], { stdin: VALUE }, 2],
    ["a missing name", ["create", "--field", "K"], { stdin: VALUE }, 2],
    ["two different names", ["create", "a", "--name", "b", "--field", "K"], { stdin: VALUE }, 2],
    ["a missing field", ["create", "no-field"], { stdin: VALUE }, 2],
    ["a malformed resource", ["bind", "x", "--resource", "nope", "--field", "K"], {}, 2],
    ["both resource spellings", ["bind", "x", "--resource", "A/b", "--resource-type", "A", "--resource-id", "b", "--field", "K"], {}, 2],
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
    const shared = await secretsctl(["create", "--name", "explicitly-shared", "--field", "K", "--bind", "GLOBAL/global", "--shared", "-o", "json"], { stdin: VALUE });
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
    expect(await json(["access", "--resource-type", "SCORER_JOB", "--resource-id", "owned-by-cli-user"], { token: user })).toMatchObject({ owner: "cli-user" });
    expect((await secretsctl(["access", "SCORER_JOB/owned-by-cli-user"], { token: user })).stdout).toMatch(new RegExp(`^grants\\s+principal=teammate granted_by=cli-user granted_at=${HUMAN_TIME.source}$`, "m"));
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

  it("finds the server from --server, SECRETS_SERVER or SECRETS_ADDR, as host:port or URL", async () => {
    const hostPort = `127.0.0.1:${t.port}`;
    const viaAddr = await run(["secrets", "list"], { env: { SECRETS_ADDR: hostPort, SECRETS_TOKEN: t.adminToken } });
    const viaFlag = await run(["secrets", "list", "--server", hostPort], { env: { SECRETS_TOKEN: t.adminToken } });
    const viaUrl = await run(["secrets", "--server", t.baseUrl, "list"], { env: { SECRETS_ADDR: "127.0.0.1:1", SECRETS_TOKEN: t.adminToken } });
    const listensEverywhere = await run(["secrets", "list"], { env: { SECRETS_ADDR: `0.0.0.0:${t.port}`, SECRETS_TOKEN: t.adminToken } });
    for (const res of [viaAddr, viaFlag, viaUrl, listensEverywhere]) expect(res).toMatchObject({ code: 0, stdout: expect.stringMatching(/^SECRET_ID/) });
    const bad = await run(["secrets", "list", "--server", "not a server"], { env: { SECRETS_TOKEN: t.adminToken } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a server address is host:port or an http(s) URL, e.g. 127.0.0.1:50051 or https://secrets.internal:50051, not "not a server"');
  });

  it("reads a value typed at a terminal without echoing it, and says how long it was", async () => {
    // A real pseudo-terminal: python3's pty module runs secretsctl on it and types the value at the prompt.
    const driver = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execve(sys.argv[1], sys.argv[3:], os.environ)
out, typed = b"", False
while True:
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not typed and b"Enter ends it" in out:
        os.write(fd, sys.argv[2].encode() + b"\\r")
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
`;
    const { stdout } = await promisify(execFile)(
      "python3",
      ["-c", driver, process.execPath, TYPED, "node", SECRETSCTL, "secrets", "create", "typed-key", "--field", "K", "-o", "json"],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", SECRETS_SERVER: t.baseUrl, SECRETS_TOKEN: t.adminToken } },
    );
    expect(stdout).toContain("value (not shown as you type; Enter ends it):");
    expect(stdout).toContain(`read ${TYPED.length} characters`);
    expect(stdout).toContain('"masked_value": "sk-...0007"');
    expect(stdout).not.toContain(TYPED);
    expect((await json(["get", "typed-key"])).masked_value).toBe("sk-...0007");
  }, 60_000);
});

describe("secretsctl audit", () => {
  it("filters by secret, action, principal and time, with readable times in tables and JSON lines with -o json", async () => {
    const service = await t.token("service", "audit-reader");
    const secret = await json(["create", "audited-key", "--field", "AUDITED", "--bind", "SCORER_JOB/audited-job"], { stdin: VALUE });
    expect((await run(["resolve", "--resource", "SCORER_JOB/audited-job"], { env: { SECRETS_SERVER: t.baseUrl, SECRETS_TOKEN: service } })).code).toBe(0);
    await t.server.services.audit.flush();

    const env = { SECRETS_SERVER: t.baseUrl, SECRETS_TOKEN: t.adminToken };
    const lines = await run(["audit", "--secret", "audited-key", "--action", "ResolveResourceSecrets", "--since", "1h", "-o", "json"], { env });
    expect(lines.code).toBe(0);
    const events = lines.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events).toEqual([expect.objectContaining({ principal: "audit-reader", action: "ResolveResourceSecrets", secret_id: secret.secret.secret_id, secret_version: 1, outcome: "ok" })]);
    expect(events[0].time).toMatch(/^\d{13}$/);

    const table = await run(["audit", "--principal", "audit-reader", "--limit", "1"], { env });
    expect(table.stdout).toMatch(new RegExp(`^TIME\\s+PRINCIPAL\\s+ACTION\\s+OUTCOME`));
    expect(table.stdout).toMatch(new RegExp(`^${HUMAN_TIME.source}\\s+audit-reader\\s+ResolveResourceSecrets\\s+ok`, "m"));
    expect(table.stdout.trim().split("\n")).toHaveLength(2);
    expect((await run(["audit", "--principal", "audit-reader", "--until", "2000-01-01", "-o", "json"], { env })).stdout).toBe("");
    expect((await run(["audit", "--since", "yesterday-ish"], { env })).code).toBe(2);
    expect((await run(["audit"], { env: { ...env, SECRETS_TOKEN: user } })).code).toBe(4);
    for (const r of [lines, table]) expect(r.stdout).not.toContain(VALUE);
  });
});

describe("secretsctl help", () => {
  const COMMANDS = [
    ["secrets", "create"],
    ["secrets", "list"],
    ["secrets", "get"],
    ["secrets", "update"],
    ["secrets", "revoke"],
    ["secrets", "delete"],
    ["secrets", "versions"],
    ["secrets", "bind"],
    ["secrets", "unbind"],
    ["secrets", "list-bindings"],
    ["secrets", "access"],
    ["secrets", "grant"],
    ["secrets", "revoke-grant"],
    ["secrets", "transfer"],
    ["resolve"],
    ["run"],
    ["audit"],
    ["kek", "generate"],
    ["kek", "list"],
    ["kek", "activate"],
    ["kek", "retire"],
    ["kek", "verify"],
    ["rewrap"],
    ["migrate"],
  ];

  it("every command has --help with examples and the environment variables it reads; required options say so", async () => {
    const results = await Promise.all(COMMANDS.map((cmd) => run([...cmd, "--help"])));
    results.forEach((res, i) => {
      const cmd = COMMANDS[i]!;
      expect(res.code, cmd.join(" ")).toBe(0);
      expect(res.stdout, cmd.join(" ")).toContain(`Usage: secretsctl ${cmd.join(" ")}`);
      expect(res.stdout, cmd.join(" ")).toMatch(/\nExamples:\n {2}\$ secretsctl /);
      const reads = ["kek", "rewrap", "migrate"].includes(cmd[0]!) ? ["DATABASE_URL", "SECRETS_DATA_DIR", "--init"] : ["SECRETS_TOKEN", "SECRETS_SERVER", "SECRETS_ADDR"];
      for (const v of reads) expect(res.stdout, `${cmd.join(" ")}: ${v}`).toContain(v);
    });
    const grant = results[COMMANDS.findIndex((c) => c[1] === "grant")]!.stdout;
    expect(grant).toMatch(/--principal <name>\s+the token name or JWT subject to let in \(required\)/);
    const create = results[0]!.stdout;
    expect(create).toMatch(/--field <ENV_NAME>\s+\(required\)/);
    expect(create).toMatch(/--provider <provider>\s+the provider whose API the credential opens/);
    expect(create).toMatch(/For a\s+multi-field secret/);
  }, 120_000);

  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(await run(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});
