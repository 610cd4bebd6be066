import net from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvMappingError, createSecretsClient, serverUrl } from "../src/client/secrets-client.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { caller } from "./support/services.js";

/** The client helper a TypeScript service uses in-process: the same mapping as `secretsctl run`, and retries that repeat nothing twice. */

const owner = caller("client-owner", "admin");
let t: TestServer;
let service: string;

beforeAll(async () => {
  t = await startTestServer();
  service = await t.token("service", "client-service");
  await t.server.services.secrets.createSecret(
    owner,
    { secretName: "client-openai", secretValue: "sk-client-openai-0000000001", secretFields: {}, fieldName: "OPENAI_API_KEY", authConfig: {}, isShared: false, requestId: "" },
    { resourceType: "SCORER_JOB", resourceId: "client-job", fieldName: "OPENAI_API_KEY" },
  );
  await t.server.services.secrets.createSecret(
    owner,
    { secretName: "client-aws", secretFields: { AWS_ACCESS_KEY_ID: "AKIACLIENT0000000002", AWS_SECRET_ACCESS_KEY: "client-aws-secret-000000003" }, fieldName: "AWS", authConfig: {}, isShared: false, requestId: "" },
    { resourceType: "SCORER_JOB", resourceId: "client-job", fieldName: "AWS" },
  );
});
afterAll(async () => {
  await t?.stop();
});

/**
 * A TCP front that answers the first `refuse` connections with 503, as a load
 * balancer does while its replica restarts, and passes the rest through.
 */
async function flakyFront(refuse: number): Promise<{ address: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    if (++connections <= refuse) {
      client.once("data", () => client.end("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"));
      return;
    }
    const upstream = net.connect(t.port, "127.0.0.1");
    sockets.add(upstream);
    for (const s of [client, upstream]) s.on("error", () => (client.destroy(), upstream.destroy()));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("createSecretsClient", () => {
  it.each(["connect", "grpc"] as const)("resolveEnv gives the environment secretsctl run gives, over %s", async (protocol) => {
    const client = createSecretsClient({ address: `127.0.0.1:${t.port}`, token: service, protocol });
    expect(await client.resolveEnv("SCORER_JOB", "client-job")).toEqual({
      OPENAI_API_KEY: "sk-client-openai-0000000001",
      AWS_ACCESS_KEY_ID: "AKIACLIENT0000000002",
      AWS_SECRET_ACCESS_KEY: "client-aws-secret-000000003",
    });
    expect(await client.resolveEnv("SCORER_JOB", "client-job", { fieldNames: ["AWS"], prefix: "JOB_" })).toEqual({
      JOB_AWS_ACCESS_KEY_ID: "AKIACLIENT0000000002",
      JOB_AWS_SECRET_ACCESS_KEY: "client-aws-secret-000000003",
    });
    const variables = await client.resolveVariables("SCORER_JOB", "client-job", { fieldNames: ["OPENAI_API_KEY"] });
    expect(variables).toEqual([expect.objectContaining({ name: "OPENAI_API_KEY", fieldName: "OPENAI_API_KEY", secretName: "client-openai", version: 1 })]);
    const empty = await client.resolveEnv("SCORER_JOB", "nothing-here").catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(EnvMappingError);
    expect(empty).toMatchObject({ problem: "no-binding" });
  });

  it("sends the token on every call: a wrong one is UNAUTHENTICATED", async () => {
    const client = createSecretsClient({ address: t.baseUrl, token: `sst_${"W".repeat(43)}` });
    expect(await client.listSecrets({}).catch((e: unknown) => ConnectError.from(e).code)).toBe(Code.Unauthenticated);
  });

  it("retries a call that is safe to repeat when the server is UNAVAILABLE, a bounded number of times", async () => {
    const front = await flakyFront(2);
    try {
      const client = createSecretsClient({ address: front.address, token: t.adminToken, retryDelayMs: 10 });
      expect((await client.listSecrets({})).secrets.length).toBeGreaterThan(0);
      expect(front.connections()).toBe(3);
    } finally {
      await front.close();
    }
    const down = await flakyFront(Number.POSITIVE_INFINITY);
    try {
      const client = createSecretsClient({ address: down.address, token: t.adminToken, retries: 3, retryDelayMs: 10 });
      expect(await client.getSecret({ secretName: "client-openai" }).catch((e: unknown) => ConnectError.from(e).code)).toBe(Code.Unavailable);
      expect(down.connections()).toBe(4);
    } finally {
      await down.close();
    }
  });

  it("never repeats a create, unless its request_id makes the repeat answer the first result", async () => {
    const front = await flakyFront(1);
    try {
      const client = createSecretsClient({ address: front.address, token: t.adminToken, retryDelayMs: 10 });
      const once = await client.createSecret({ secretName: "not-repeated", secretValue: "sk-not-repeated-00000001", fieldName: "K" }).catch((e: unknown) => ConnectError.from(e).code);
      expect(once).toBe(Code.Unavailable);
      expect(front.connections()).toBe(1);
      const created = await client.createSecret({ secretName: "repeated", secretValue: "sk-repeated-0000000001", fieldName: "K", requestId: "client-test-1" });
      expect(created.secret?.secretName).toBe("repeated");
    } finally {
      await front.close();
    }
  });

  it("takes host:port or a URL; the addresses a server listens on everywhere mean loopback", () => {
    expect(serverUrl("127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(serverUrl("localhost:50051")).toBe("http://localhost:50051");
    expect(serverUrl("[::1]:50051")).toBe("http://[::1]:50051");
    expect(serverUrl("0.0.0.0:50051")).toBe("http://127.0.0.1:50051");
    expect(serverUrl("[::]:50051")).toBe("http://[::1]:50051");
    expect(serverUrl("https://secrets.internal:8443/")).toBe("https://secrets.internal:8443");
    for (const bad of ["127.0.0.1", "127.0.0.1:99999", "ftp://x:1", "a b:1"]) expect(() => serverUrl(bad)).toThrow(/a server address is host:port or an http\(s\) URL/);
  });
});
