import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, secretsctl, spawnSecretsctl } from "./support/cli.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { caller } from "./support/services.js";

/**
 * `secretsctl run` and `secretsctl resolve` against a real server, each as its
 * own process: what the child receives, what secretsctl says, and that no
 * value ever reaches secretsctl's own output.
 */

const owner = caller("run-owner", "admin");
const VALUES = {
  openai: "sk-run-openai-value-00000001",
  awsId: "AKIARUNVALUE00000002",
  awsSecret: "aws-run-secret-value-000000000000003",
  good: "sk-run-good-value-000000004",
  revoked: "sk-run-revoked-value-00000005",
  nul: "sk-run-nul-\u0000-value-000006",
  other: "sk-run-other-value-0000000007",
};
const ALL_VALUES = Object.values(VALUES);

let t: TestServer;
let service: string;
let env: Record<string, string>;

async function bind(resourceId: string, fieldName: string, value: string | Record<string, string>, secretName = `${resourceId}-${fieldName}`) {
  const { secret } = await t.server.services.secrets.createSecret(
    owner,
    { secretName, ...(typeof value === "string" ? { secretValue: value, secretFields: {} } : { secretFields: value }), fieldName, authConfig: {}, isShared: false, requestId: "" },
    { resourceType: "SCORER_JOB", resourceId, fieldName },
  );
  return secret;
}

beforeAll(async () => {
  t = await startTestServer();
  service = await t.token("service", "job-runner");
  env = { SECRETS_SERVER: t.baseUrl, SECRETS_TOKEN: service };
  await bind("basic", "OPENAI_API_KEY", VALUES.openai);
  await bind("basic", "AWS", { AWS_ACCESS_KEY_ID: VALUES.awsId, AWS_SECRET_ACCESS_KEY: VALUES.awsSecret });
  await bind("half-revoked", "GOOD_KEY", VALUES.good);
  const revoked = await bind("half-revoked", "OLD_KEY", VALUES.revoked, "old-key");
  await t.server.services.secrets.revokeSecret(owner, revoked.id);
  await bind("bad-key", "AWS", { "access-key": VALUES.awsId });
  await bind("nul", "NUL_KEY", VALUES.nul);
  await bind("collision", "AWS_ACCESS_KEY_ID", VALUES.other);
  await bind("collision", "AWS", { AWS_ACCESS_KEY_ID: VALUES.awsId });
  // A resource that exists (it has an owner) but has nothing bound any more.
  await bind("emptied", "GONE", VALUES.other);
  await t.server.services.secrets.unbindSecret(owner, { resourceType: "SCORER_JOB", resourceId: "emptied", fieldName: "GONE" });
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

function expectNoValue(res: CliResult): void {
  for (const v of ALL_VALUES) {
    expect(res.stdout).not.toContain(v);
    expect(res.stderr).not.toContain(v);
  }
}

/** A child that reports, without printing any value, what it received and whether its or its parent's command line holds a value. */
const REPORTER = `
const fs = require("node:fs");
const crypto = require("node:crypto");
const names = JSON.parse(process.argv[1]);
const hash = (v) => v === undefined ? null : crypto.createHash("sha256").update(v).digest("hex");
const cmdlines = [fs.readFileSync("/proc/self/cmdline", "utf8"), fs.readFileSync("/proc/" + process.ppid + "/cmdline", "utf8")];
const values = names.map((n) => process.env[n]).filter((v) => v !== undefined);
console.log(JSON.stringify({ hashes: Object.fromEntries(names.map((n) => [n, hash(process.env[n])])), onCommandLine: values.some((v) => cmdlines.some((c) => c.includes(v))) }));
`;
const report = (names: string[]) => ["--", process.execPath, "-e", REPORTER, JSON.stringify(names)];
const reported = (res: CliResult) => JSON.parse(res.stdout.trim().split("\n").at(-1)!) as { hashes: Record<string, string | null>; onCommandLine: boolean };

describe("secretsctl run", () => {
  it.each(["connect", "grpc"])("puts every binding in the command's environment over %s, one variable per field of a multi-field secret, and prints no value", async (protocol) => {
    const names = ["OPENAI_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS"];
    const res = await secretsctl(["run", "--resource", "SCORER_JOB/basic", "--protocol", protocol, ...report(names)], { env });
    expect(res.code).toBe(0);
    expect(reported(res)).toEqual({
      hashes: { OPENAI_API_KEY: sha(VALUES.openai), AWS_ACCESS_KEY_ID: sha(VALUES.awsId), AWS_SECRET_ACCESS_KEY: sha(VALUES.awsSecret), AWS: null },
      onCommandLine: false,
    });
    expectNoValue(res);
  });

  it("takes the resource as --resource-type and --resource-id, and puts --prefix in front of every name", async () => {
    const res = await secretsctl(["run", "--resource-type", "SCORER_JOB", "--resource-id", "basic", "--prefix", "APP_", ...report(["APP_OPENAI_API_KEY", "APP_AWS_ACCESS_KEY_ID", "OPENAI_API_KEY"])], { env });
    expect(res.code).toBe(0);
    expect(reported(res).hashes).toEqual({ APP_OPENAI_API_KEY: sha(VALUES.openai), APP_AWS_ACCESS_KEY_ID: sha(VALUES.awsId), OPENAI_API_KEY: null });
  });

  it("takes the command without -- too: what follows the command's name is the command's own", async () => {
    const res = await secretsctl(["run", "--resource", "SCORER_JOB/basic", ...report(["OPENAI_API_KEY"]).slice(1), "--dry-run", "--init"], { env });
    expect(res.code).toBe(0);
    expect(reported(res).hashes).toEqual({ OPENAI_API_KEY: sha(VALUES.openai) });
  });

  it("--dry-run lists the names it would set, never a value, and starts nothing", async () => {
    const marker = join(t.config.dataDir, "dry-run-started");
    const res = await secretsctl(["run", "--resource", "SCORER_JOB/basic", "--dry-run", "--", process.execPath, "-e", "require('fs').writeFileSync(process.argv[1], 'x')", marker], { env });
    expect(res).toMatchObject({ code: 0, stdout: "AWS_ACCESS_KEY_ID\nAWS_SECRET_ACCESS_KEY\nOPENAI_API_KEY\n" });
    expect(existsSync(marker)).toBe(false);
    const json = await secretsctl(["run", "--resource", "SCORER_JOB/basic", "--prefix", "X_", "--dry-run", "-o", "json"], { env });
    expect(JSON.parse(json.stdout)).toEqual(["X_AWS_ACCESS_KEY_ID", "X_AWS_SECRET_ACCESS_KEY", "X_OPENAI_API_KEY"]);
    expectNoValue(res);
    expectNoValue(json);
  });

  it("--field-name picks bindings one call each, so a revoked secret bound under another field does not fail them", async () => {
    const all = await secretsctl(["run", "--resource", "SCORER_JOB/half-revoked", ...report(["GOOD_KEY"])], { env });
    expect(all.code).toBe(8);
    expect(all.stderr).toContain('the binding of OLD_KEY on SCORER_JOB/half-revoked is to secret');
    expect(all.stderr).toContain('("old-key"), which is revoked');
    const picked = await secretsctl(["run", "--resource", "SCORER_JOB/half-revoked", "--field-name", "GOOD_KEY", "--field-name", "GOOD_KEY", ...report(["GOOD_KEY", "OLD_KEY"])], { env });
    expect(picked.code).toBe(0);
    expect(reported(picked).hashes).toEqual({ GOOD_KEY: sha(VALUES.good), OLD_KEY: null });
    const two = await secretsctl(["run", "--resource", "SCORER_JOB/basic", "--field-name", "OPENAI_API_KEY", "--field-name", "AWS", "--dry-run"], { env });
    expect(two.stdout).toBe("OPENAI_API_KEY\nAWS_ACCESS_KEY_ID\nAWS_SECRET_ACCESS_KEY\n");
    for (const r of [all, picked, two]) expectNoValue(r);
  });

  it("replaces a variable already set only with --override", async () => {
    const taken = { ...env, OPENAI_API_KEY: "from-the-parent" };
    const refused = await secretsctl(["run", "--resource", "SCORER_JOB/basic", ...report(["OPENAI_API_KEY"])], { env: taken });
    expect(refused.code).toBe(11);
    expect(refused.stderr).toContain("OPENAI_API_KEY is already set in the environment; secretsctl run replaces a variable only with --override");
    const overridden = await secretsctl(["run", "--resource", "SCORER_JOB/basic", "--override", ...report(["OPENAI_API_KEY"])], { env: taken });
    expect(overridden.code).toBe(0);
    expect(reported(overridden).hashes.OPENAI_API_KEY).toBe(sha(VALUES.openai));
    expectNoValue(refused);
  });

  const refusals: Array<[what: string, args: string[], code: number, message: string | RegExp, envOverride?: Record<string, string>]> = [
    ["a field key that is no variable name", ["--resource", "SCORER_JOB/bad-key"], 9, 'field "access-key" of the binding AWS (secret "bad-key-AWS", '],
    ["a prefix that makes no variable name", ["--resource", "SCORER_JOB/basic", "--prefix", "1_"], 9, 'would be the variable "1_'],
    ["a value an environment cannot hold", ["--resource", "SCORER_JOB/nul"], 9, "the value of NUL_KEY (the binding NUL_KEY (secret \"nul-NUL_KEY\""],
    ["two bindings setting one variable", ["--resource", "SCORER_JOB/collision"], 10, /AWS_ACCESS_KEY_ID would be set twice on SCORER_JOB\/collision: by .* and by /],
    ["a resource with nothing bound", ["--resource", "SCORER_JOB/emptied"], 3, "SCORER_JOB/emptied has no bindings: there is nothing to put in the environment"],
    ["a resource nobody ever bound to", ["--resource", "SCORER_JOB/never-heard-of"], 3, "has no bindings"],
    ["a field that is not bound", ["--resource", "SCORER_JOB/basic", "--field-name", "NOT_BOUND"], 3, "SCORER_JOB/basic has no binding for NOT_BOUND"],
    ["a revoked secret", ["--resource", "SCORER_JOB/half-revoked"], 8, "--field-name picks the bindings that are still good"],
    ["a malformed resource", ["--resource", "SCORER_JOB"], 2, '--resource takes TYPE/ID, e.g. SCORER_JOB/job-42, not "SCORER_JOB"'],
    ["a user token (resolving is for services)", ["--resource", "SCORER_JOB/basic"], 4, "PermissionDenied", { SECRETS_TOKEN: "user" }],
    ["an unknown token", ["--resource", "SCORER_JOB/basic"], 4, "Unauthenticated", { SECRETS_TOKEN: `sst_${"Q".repeat(43)}` }],
    ["no token", ["--resource", "SCORER_JOB/basic"], 4, "set SECRETS_TOKEN", { SECRETS_TOKEN: "" }],
    ["a server that does not answer", ["--resource", "SCORER_JOB/basic", "--server", "127.0.0.1:1"], 6, "Unavailable"],
  ];

  it.each(refusals)("refuses %s with its own exit code, before the command starts, saying no value", async (_what, args, code, message, envOverride) => {
    const marker = join(t.config.dataDir, `started-${Math.random().toString(36).slice(2)}`);
    const runEnv = { ...env, ...envOverride };
    if (envOverride?.SECRETS_TOKEN === "user") runEnv.SECRETS_TOKEN = await t.token("user");
    const res = await secretsctl(["run", ...args, "--", process.execPath, "-e", "require('fs').writeFileSync(process.argv[1], 'x')", marker], { env: runEnv });
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(/^secretsctl: /);
    if (typeof message === "string") expect(res.stderr).toContain(message);
    else expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe("");
    expect(existsSync(marker)).toBe(false);
    expectNoValue(res);
  }, 30_000);

  it("refuses a command that is not found with 127, before anything is resolved", async () => {
    const before = await t.server.services.secrets.listAuditEvents(owner, { action: "ResolveResourceSecrets", principal: "job-runner" }, { pageSize: 1000, pageToken: "" });
    const res = await secretsctl(["run", "--resource", "SCORER_JOB/basic", "--", "no-such-command-for-secretsctl"], { env });
    expect(res).toMatchObject({ code: 127, stdout: "" });
    expect(res.stderr).toContain("secretsctl: no-such-command-for-secretsctl: command not found");
    await t.server.services.audit.flush();
    const after = await t.server.services.secrets.listAuditEvents(owner, { action: "ResolveResourceSecrets", principal: "job-runner" }, { pageSize: 1000, pageToken: "" });
    expect(after.items.length).toBe(before.items.length);
  });

  it("refuses a rate-limited call with 7", async () => {
    const limited = await startTestServer({ env: { SECRETS_RESOLVE_RATE: "1", SECRETS_RESOLVE_BURST: "2" } });
    try {
      for (const fieldName of ["K", "L", "M"]) {
        await limited.server.services.secrets.createSecret(
          owner,
          { secretName: `limited-${fieldName}`, secretValue: VALUES.other, secretFields: {}, fieldName, authConfig: {}, isShared: false, requestId: "" },
          { resourceType: "SCORER_JOB", resourceId: "limited", fieldName },
        );
      }
      // Three calls in one run, against a bucket of two refilled once a second.
      const res = await secretsctl(["run", "--resource", "SCORER_JOB/limited", "--field-name", "K", "--field-name", "L", "--field-name", "M", "--", "true"], {
        env: { SECRETS_SERVER: limited.baseUrl, SECRETS_TOKEN: await limited.token("service") },
      });
      expect(res.code).toBe(7);
      expect(res.stderr).toContain("ResourceExhausted: too many resolves by");
      expectNoValue(res);
    } finally {
      await limited.stop();
    }
  }, 60_000);

  it("exits with the command's exit code, and hands it stdin", async () => {
    const res = await secretsctl(["run", "--resource", "SCORER_JOB/basic", "--", process.execPath, "-e", "process.stdin.pipe(process.stdout); process.stdin.on('end', () => process.exit(42))"], {
      env,
      stdin: "from secretsctl's stdin\n",
    });
    expect(res).toMatchObject({ code: 42, stdout: "from secretsctl's stdin\n" });
  });

  const waiting = (handler: string) => ["run", "--resource", "SCORER_JOB/basic", "--", process.execPath, "-e", `${handler}; console.log("ready"); setInterval(() => {}, 1000)`];
  const whenReady = async (spawned: ReturnType<typeof spawnSecretsctl>) => {
    await new Promise<void>((resolve) => {
      const onData = (c: Buffer) => {
        if (String(c).includes("ready")) {
          spawned.child.stdout!.off("data", onData);
          resolve();
        }
      };
      spawned.child.stdout!.on("data", onData);
    });
  };

  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("passes %s on to the command and exits 128 + its number when it kills the command", async (signal, code) => {
    const spawned = spawnSecretsctl(waiting(""), { env });
    await whenReady(spawned);
    spawned.child.kill(signal);
    expect((await spawned.result).code).toBe(code);
  });

  it("lets a command that handles the signal decide the exit code", async () => {
    const spawned = spawnSecretsctl(waiting('process.on("SIGTERM", () => { console.log("command got SIGTERM"); process.exit(3); })'), { env });
    await whenReady(spawned);
    spawned.child.kill("SIGTERM");
    const res = await spawned.result;
    expect(res.code).toBe(3);
    expect(res.stdout).toContain("command got SIGTERM");
  });
});

describe("secretsctl resolve", () => {
  it("shows names and masked values, and the values only with --show-values", async () => {
    const masked = await secretsctl(["resolve", "--resource", "SCORER_JOB/basic"], { env });
    expect(masked.code).toBe(0);
    expect(masked.stdout).toMatch(/^VARIABLE\s+FIELD_NAME\s+SECRET_NAME\s+VERSION\s+MASKED_VALUE$/m);
    expect(masked.stdout).toMatch(/^OPENAI_API_KEY\s+OPENAI_API_KEY\s+basic-OPENAI_API_KEY\s+1\s+sk-\.\.\.0001$/m);
    expect(masked.stdout).toMatch(/^AWS_ACCESS_KEY_ID\s+AWS\s+basic-AWS\s+1\s+AK\.\.\.002$/m);
    expectNoValue(masked);

    const json = await secretsctl(["resolve", "--resource-type", "SCORER_JOB", "--resource-id", "basic", "--field-name", "AWS", "-o", "json"], { env });
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ variable: "AWS_ACCESS_KEY_ID", field_name: "AWS", key: "AWS_ACCESS_KEY_ID", secret_name: "basic-AWS", version: 1, masked_value: "AK...002" }),
      expect.objectContaining({ variable: "AWS_SECRET_ACCESS_KEY", masked_value: "aws...0003" }),
    ]);
    expectNoValue(json);

    const shown = await secretsctl(["resolve", "--resource", "SCORER_JOB/basic", "--show-values", "-o", "json"], { env });
    expect(Object.fromEntries((JSON.parse(shown.stdout) as Array<{ variable: string; value: string }>).map((r) => [r.variable, r.value]))).toEqual({
      OPENAI_API_KEY: VALUES.openai,
      AWS_ACCESS_KEY_ID: VALUES.awsId,
      AWS_SECRET_ACCESS_KEY: VALUES.awsSecret,
    });
  });

  it("refuses what run refuses, with the same codes and no value", async () => {
    const revoked = await secretsctl(["resolve", "--resource", "SCORER_JOB/half-revoked"], { env });
    const collision = await secretsctl(["resolve", "--resource", "SCORER_JOB/collision"], { env });
    expect([revoked.code, collision.code]).toEqual([8, 10]);
    for (const r of [revoked, collision]) expectNoValue(r);
  });
});
