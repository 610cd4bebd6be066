import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, startTestServer } from "./support/server.js";

describe("GET /metrics", () => {
  let t: TestServer;
  beforeAll(async () => {
    // A user's calls are limited (the admin's are not): /metrics counts against them like any call.
    t = await startTestServer({ env: { SECRETS_CALL_RATE: "1", SECRETS_CALL_BURST: "3" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const metrics = (authorization?: string, init: RequestInit = {}) =>
    fetch(`${t.baseUrl}/metrics`, { ...init, headers: authorization ? { authorization } : {} });

  async function statements(): Promise<number> {
    const res = await metrics(`Bearer ${t.adminToken}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = /^secrets_db_statements_total (\d+)$/m.exec(await res.text());
    expect(m).not.toBeNull();
    return Number(m![1]);
  }

  it("gives an admin the store's statement and transaction counters, which move with the calls", async () => {
    const before = await statements();
    const res = await fetch(`${t.baseUrl}/secrets.v1.SecretsService/CreateSecret`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ secretName: "metrics-one", secretValue: "sk-metrics-0123456789abcdef", fieldName: "KEY" }),
    });
    expect(res.status).toBe(200);
    // BEGIN, the secret with its first version, the audit event, COMMIT.
    expect((await statements()) - before).toBeGreaterThanOrEqual(4);
    const text = await (await metrics(`Bearer ${t.adminToken}`)).text();
    expect(text).toMatch(/^# TYPE secrets_db_transactions_total counter$/m);
    expect(text).toMatch(/^secrets_db_transactions_total \d+$/m);
  });

  it("is refused without an admin's credentials, and for any method but GET", async () => {
    expect((await metrics()).status).toBe(401);
    expect((await metrics("Bearer sst_not-a-real-token-000000000000000000000000000")).status).toBe(401);
    const user = await t.token("user");
    const denied = await metrics(`Bearer ${user}`);
    expect(denied.status).toBe(403);
    expect(await denied.text()).not.toMatch(/secrets_db/);
    // Beyond the user's burst of 3 (one spent above), scrapes are refused by the call rate, before the role check.
    const answers = await Promise.all(Array.from({ length: 6 }, () => metrics(`Bearer ${user}`)));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    const post = await metrics(`Bearer ${t.adminToken}`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
  });
});
