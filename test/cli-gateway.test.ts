import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretsctl } from "./support/cli.js";
import { type TestServer, startTestServer } from "./support/server.js";

/** secretsctl gateway and providers against a running server: the main flows, and what a resource resolves to, masked. */

const KEY = "sk-proj-cli-gateway-value-000000001";
const PROVIDER_KEY = "sk-ant-cli-provider-key-0000000001";
let t: TestServer;
let user: string;
let job: string;

beforeAll(async () => {
  t = await startTestServer();
  user = await t.token("user", "gw-user");
  job = await t.token("service", "gw-job");
});
afterAll(async () => {
  await t?.stop();
});

const run = (args: string[], token = user, stdin?: string) => secretsctl(args, { env: { SECRETS_SERVER: t.baseUrl, SECRETS_TOKEN: token }, stdin });

describe("secretsctl gateway and providers", () => {
  it("defines models, an endpoint with a fallback, binds it, and shows what the job resolves to without a value", async () => {
    expect((await run(["secrets", "create", "gw-openai", "--field", "OPENAI_API_KEY", "--provider", "openai"], user, `${KEY}\n`)).code).toBe(0);
    const model = await run(["gateway", "models", "create", "gw-gpt", "--provider", "openai", "--model", "gpt-4o", "--secret", "gw-openai", "-o", "json"]);
    expect(model.code).toBe(0);
    expect(JSON.parse(model.stdout)).toMatchObject({ name: "gw-gpt", secret_name: "gw-openai", provider: "openai" });
    // A model on a provider key: set from stdin, never from the command line.
    const setKey = await run(["providers", "set-key", "anthropic", "--name", "gw-anthropic"], user, `${PROVIDER_KEY}\n`);
    expect(setKey.code).toBe(0);
    expect((await run(["gateway", "models", "create", "gw-claude", "--provider", "anthropic", "--model", "claude-sonnet-4-20250514"])).code).toBe(0);

    const endpoint = await run(["gateway", "endpoints", "create", "gw-chat", "--primary", "gw-gpt:3", "--fallback", "gw-claude", "-o", "json"]);
    expect(endpoint.code).toBe(0);
    expect(JSON.parse(endpoint.stdout).model_mappings.map((m: { linkage_type: string }) => m.linkage_type)).toEqual(["LINKAGE_TYPE_PRIMARY", "LINKAGE_TYPE_FALLBACK"]);
    expect((await run(["gateway", "bind", "gw-chat", "--resource", "SCORER_JOB/gw-job", "--display-name", "gw scorer"])).code).toBe(0);
    const listed = await run(["gateway", "endpoints", "list", "--secret", "gw-openai"]);
    expect(listed.stdout).toMatch(/gw-chat\s+gw-gpt×3, gw-claude \(fallback 0\)/);

    const resolved = await run(["gateway", "resolve", "--resource", "SCORER_JOB/gw-job"], job);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/gw-chat\s+gw-gpt\s+openai\s+primary ×3\s+sk-\.\.\.0001\s+model secret/);
    expect(resolved.stdout).toMatch(/gw-claude\s+anthropic\s+fallback 0\s+sk-\.\.\.0001\s+provider key/);
    for (const out of [model, setKey, endpoint, listed, resolved]) {
      expect(out.stdout + out.stderr).not.toContain(KEY);
      expect(out.stdout + out.stderr).not.toContain(PROVIDER_KEY);
    }
    // A user gets no credentials, not even masked ones.
    const refused = await run(["gateway", "resolve", "--resource", "SCORER_JOB/gw-job"]);
    expect(refused.code).toBe(4);
  });

  it("lists providers and the caller's keys", async () => {
    const providers = await run(["providers", "list"]);
    expect(providers.stdout).toMatch(/bedrock\s+Amazon Bedrock\s+AWS_ACCESS_KEY_ID\s+access_keys, api_key/);
    const keys = await run(["providers", "keys"]);
    expect(keys.stdout).toMatch(/anthropic\s+gw-user\s+false\s+gw-anthropic/);
    const status = JSON.parse((await run(["providers", "keys", "-o", "json"])).stdout);
    expect(status).toEqual([expect.objectContaining({ provider: "anthropic", has_own_key: true, models_on_own_key: 1 })]);
  });
});
