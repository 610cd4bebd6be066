import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type TestServer, startTestServer } from "./support/server.js";

/** The README's gateway walk-through, run as written against a real server: it cannot drift from what the service does. */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.stop();
});

it("the gateway example creates a key, a model, an endpoint and a binding over REST, and buf curl resolves them", async () => {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## The gateway"), readme.indexOf("## secretsctl"));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(2);
  const script = blocks
    .join("\n")
    .replace("export SECRETS_TOKEN=sst_...", `export SECRETS_TOKEN=${t.adminToken}`)
    .replaceAll("http://127.0.0.1:50051", t.baseUrl);
  const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], { cwd: ROOT, env: { PATH: process.env.PATH ?? "" }, timeout: 30_000 });
  const lines = stdout.trim().split("\n");
  // The binding, then what the scorer resolves.
  expect(JSON.parse(lines[0]!)).toMatchObject({ resource_type: "SCORER_JOB", resource_id: "scorer-123", display_name: "nightly scorer", endpoint_name: "chat" });
  const resolved = JSON.parse(lines.slice(1).join("\n"));
  expect(resolved.configs).toHaveLength(1);
  expect(resolved.configs[0]).toMatchObject({ endpointName: "chat", models: [{ name: "gpt-4o", fields: { api_key: "sk-proj-0123456789abcdef" }, authConfig: { api_base: "https://api.openai.com/v1" }, version: 1 }] });
});
