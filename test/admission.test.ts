import http2 from "node:http2";
import net from "node:net";
import { Code, ConnectError, type Transport, createClient } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { ApiTokens } from "../src/auth/api-tokens.js";
import type { TokenStore } from "../src/store/token-store.js";
import { loadConfig } from "../src/config.js";
import { grpcFrame } from "./support/flood.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { type TestServices, openTestServices } from "./support/services.js";

/**
 * Admission (src/server/admission.ts) against the real server: the in-flight
 * cap, authentication before the body, per-principal shares and rates, on
 * every protocol path; and the connection limit per peer.
 */

type Client = ReturnType<typeof createClient<typeof SecretsService>>;

/** Every way a call reaches the handlers: the gRPC fast path, and connect-node for the rest. */
function transports(baseUrl: string): Array<[string, Transport]> {
  return [
    ["gRPC (fast path)", createGrpcTransport({ baseUrl })],
    // A compressed gRPC call is left to connect-node.
    ["gRPC, gzip (connect-node)", createGrpcTransport({ baseUrl, sendCompression: compressionGzip, compressMinBytes: 0 })],
    ["Connect JSON (HTTP/1.1)", createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false })],
    // The message travels in the URL: no body to refuse.
    ["Connect GET (HTTP/1.1)", createConnectTransport({ baseUrl, httpVersion: "1.1", useHttpGet: true })],
    ["gRPC-Web (HTTP/1.1)", createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ];
}

async function outcome(p: Promise<unknown>): Promise<ConnectError | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return ConnectError.from(err);
  }
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** Holds a row lock on the secret (on PGlite, the only connection) until released: calls that need it stay in flight. */
const holdSecret = (t: TestServer, secretId: string) => hold(t, sql`select 1 from secrets where secret_id = ${secretId} for update`);

/** Holds the lock the statement takes (on PGlite, the only connection) until released. */
async function hold(t: TestServer, locking: SQL): Promise<() => Promise<void>> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = t.server.services.database.db.transaction(async (tx) => {
    await tx.execute(locking);
    locked();
    await held;
  });
  await isLocked;
  return async () => {
    release();
    await holder;
  };
}

describe("the in-flight cap (SECRETS_MAX_IN_FLIGHT=1)", () => {
  let t: TestServer;
  let grpc: Client;
  let secretId: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { SECRETS_MAX_IN_FLIGHT: "1" } });
    grpc = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
    ({ secretId } = (await grpc.createSecret({ secretName: "held", secretValue: "sk-held-value-000000", fieldName: "K" }, bearer(t.adminToken))).secret!);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("sheds the excess on every protocol with RESOURCE_EXHAUSTED and retry-after (REST: 503), health exempt; the slot comes back", async () => {
    const release = await holdSecret(t, secretId);
    const blocked = grpc.updateSecret({ secretId, provider: "held" }, bearer(t.adminToken));
    try {
      // The update holds the one slot once it is admitted.
      await expect.poll(async () => ((await outcome(grpc.listSecrets({}, bearer(t.adminToken)))) as ConnectError).code).toBe(Code.ResourceExhausted);
      for (const [label, transport] of transports(t.baseUrl)) {
        const refused = await outcome(createClient(SecretsService, transport).listSecrets({}, bearer(t.adminToken)));
        expect(refused, label).toBeInstanceOf(ConnectError);
        expect((refused as ConnectError).code, label).toBe(Code.ResourceExhausted);
        expect((refused as ConnectError).rawMessage, label).toMatch(/limit of 1 calls in flight; retry in 1 s/);
        expect((refused as ConnectError).metadata.get("retry-after"), label).toBe("1");
        const health = await createClient(Health, transport).check({});
        expect(health.status, label).toBe(Status.SERVING);
      }
      const rest = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/list`, bearer(t.adminToken));
      expect(rest.status).toBe(503);
      expect(rest.headers.get("retry-after")).toBe("1");
      expect(((await rest.json()) as { error_code: string }).error_code).toBe("TEMPORARILY_UNAVAILABLE");
    } finally {
      await release();
    }
    expect(await outcome(blocked)).toBe("ok");
    for (const [label, transport] of transports(t.baseUrl)) {
      expect(await outcome(createClient(SecretsService, transport).listSecrets({}, bearer(t.adminToken))), label).toBe("ok");
    }
  });

  it("every way a call ends gives its slot back", async () => {
    const auth = { authorization: `Bearer ${t.adminToken}` };
    const ends: Array<[string, () => Promise<unknown>]> = [
      ["NOT_FOUND", () => outcome(grpc.getSecret({ secretId: "no-such-secret" }, { headers: auth }))],
      ["undecodable gRPC message", () => h2("/secrets.v1.SecretsService/ListSecrets", { "content-type": "application/grpc", ...auth }, Buffer.from([1, 2, 3]))],
      ["undecodable gRPC-Web message", () => h2("/secrets.v1.SecretsService/ListSecrets", { "content-type": "application/grpc-web+proto", ...auth }, grpcFrame(Buffer.from([1, 2, 3])))],
      ["oversized gRPC message", () => h2("/secrets.v1.SecretsService/CreateSecret", { "content-type": "application/grpc", ...auth }, grpcFrame(Buffer.alloc(600 * 1024)))],
      ["bad Connect JSON", () => fetch(`${t.baseUrl}/secrets.v1.SecretsService/CreateSecret`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{" })],
      ["bad REST JSON", () => fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/create`, { method: "POST", headers: auth, body: "{" })],
      ["oversized REST body", () => fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/create`, { method: "POST", headers: auth, body: "x".repeat(600 * 1024) })],
      ["deadline passed", () => outcome(grpc.listSecrets({}, { headers: auth, timeoutMs: 1 }))],
      ["client gone mid-call", () => h2("/secrets.v1.SecretsService/ListSecrets", { "content-type": "application/grpc", ...auth }, grpcFrame(new Uint8Array()), { cancel: true })],
    ];
    for (const [label, end] of ends) {
      await end();
      // With one slot, a slot kept by the call above would refuse this one.
      await expect.poll(() => outcome(grpc.listSecrets({}, { headers: auth })), { message: label }).toBe("ok");
    }
  });

  it("a call without valid credentials is refused before its body is read, on every path", async () => {
    const unknown = `Bearer sst_${"Q".repeat(43)}`;
    for (const authorization of [undefined, "Bearer nonsense", unknown]) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      // The body never ends: an answer at all means it was not waited for.
      const fast = await h2("/secrets.v1.SecretsService/CreateSecret", { "content-type": "application/grpc", ...headers }, undefined);
      expect(fast.grpcStatus).toBe(String(Code.Unauthenticated));
      const web = await h2("/secrets.v1.SecretsService/CreateSecret", { "content-type": "application/grpc-web+proto", ...headers }, undefined);
      expect(web.grpcStatus).toBe(String(Code.Unauthenticated));
      const connect = await h2("/secrets.v1.SecretsService/CreateSecret", { "content-type": "application/json", ...headers }, undefined);
      expect(connect.status).toBe(401);
      const rest = await h1Head("POST /api/2.0/mlflow/secrets/create", headers);
      expect(rest).toMatch(/^HTTP\/1\.1 401/);
    }
  });

  /**
   * One raw HTTP/2 request, resolved as soon as its answer is known (a gRPC
   * status in headers, trailers or a gRPC-Web trailer frame, or a non-200
   * status) or the stream ends. Without a body, the request stays open: no
   * END_STREAM is ever sent.
   */
  function h2(path: string, headers: Record<string, string>, body: Uint8Array | undefined, opts: { cancel?: boolean } = {}): Promise<{ status?: number; grpcStatus?: string }> {
    return new Promise((resolve) => {
      const session = http2.connect(t.baseUrl);
      session.on("error", () => {});
      const req = session.request({ ":method": "POST", ":path": path, ...headers });
      const out: { status?: number; grpcStatus?: string } = {};
      const done = () => {
        session.destroy();
        resolve(out);
      };
      req.on("response", (h) => {
        out.status = Number(h[":status"]);
        out.grpcStatus = h["grpc-status"] as string | undefined;
        if (out.grpcStatus !== undefined || out.status !== 200) done();
      });
      req.on("trailers", (h) => {
        out.grpcStatus = h["grpc-status"] as string | undefined;
        done();
      });
      // gRPC-Web carries its status in a trailer frame of the body.
      req.on("data", (c: Buffer) => {
        out.grpcStatus = /grpc-status:\s*(\d+)/.exec(c.toString("latin1"))?.[1];
        if (out.grpcStatus !== undefined) done();
      });
      req.on("end", done);
      req.on("error", done);
      req.on("close", done);
      if (body === undefined) req.write(Buffer.alloc(3));
      else if (opts.cancel) {
        req.write(body);
        setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), 20);
      } else req.end(body);
    });
  }

  /** An HTTP/1.1 request whose announced body never comes; resolves with the first bytes of the answer. */
  function h1Head(requestLine: string, headers: Record<string, string>): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(t.port, "127.0.0.1");
      let answer = "";
      socket.on("data", (c) => {
        answer += c;
        socket.destroy();
        resolve(answer);
      });
      socket.on("error", () => resolve(answer));
      const lines = Object.entries({ host: "x", "content-type": "application/json", "content-length": "100000", ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(`${requestLine} HTTP/1.1\r\n${lines.join("")}\r\n{"secret_name": `);
    });
  }
});

describe("per-principal limits (admins and health exempt)", () => {
  let t: TestServer;
  let grpc: Client;
  beforeAll(async () => {
    t = await startTestServer({
      env: { SECRETS_MAX_IN_FLIGHT: "4", SECRETS_MAX_IN_FLIGHT_PER_PRINCIPAL: "1", SECRETS_CALL_RATE: "1", SECRETS_CALL_BURST: "4", SECRETS_WRITE_RATE: "1", SECRETS_WRITE_BURST: "2" },
    });
    grpc = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("every RPC counts against the principal's rate: RESOURCE_EXHAUSTED with retry-after, REST 429", async () => {
    const reader = await t.token("user", "reader");
    const started = performance.now();
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await outcome(grpc.listSecrets({}, bearer(reader))));
    const oks = results.filter((r) => r === "ok").length;
    // A bucket of 4 that refills 1 per second: however slowly the calls went, no more got through.
    expect(oks).toBeGreaterThanOrEqual(4);
    expect(oks).toBeLessThanOrEqual(4 + Math.ceil((performance.now() - started) / 1000));
    const refused = results.find((r) => r !== "ok") as ConnectError;
    expect(refused.code).toBe(Code.ResourceExhausted);
    expect(refused.rawMessage).toMatch(/^too many calls by reader; retry in \d+ s$/);
    expect(Number(refused.metadata.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const rest = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/list`, bearer(reader));
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await rest.json()) as { error_code: string }).error_code).toBe("REQUEST_LIMIT_EXCEEDED");
    // Admins and health checks are not held back.
    for (let i = 0; i < 12; i++) {
      expect(await outcome(grpc.listSecrets({}, bearer(t.adminToken)))).toBe("ok");
      expect((await createClient(Health, createGrpcTransport({ baseUrl: t.baseUrl })).check({})).status).toBe(Status.SERVING);
    }
  });

  it("writes have a stricter rate of their own; a principal out of writes can still read", async () => {
    const writer = await t.token("user", "writer");
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await outcome(grpc.createSecret({ secretName: `w-${i}`, secretValue: "sk-writer-value-0000", fieldName: "K" }, bearer(writer))));
    expect(results.filter((r) => r === "ok").length).toBeLessThan(5);
    const refused = results.find((r) => r !== "ok") as ConnectError;
    expect(refused.code).toBe(Code.ResourceExhausted);
    expect(refused.rawMessage).toMatch(/^too many writes by writer; retry in \d+ s$/);
    // Refused writes spend no call: the call bucket still has room.
    expect(await outcome(grpc.listSecrets({}, bearer(writer)))).toBe("ok");
  });

  it("calls waiting for tokens' lookups, the one that starts each and those that join it, hold half the slots at most", async () => {
    // An admin: no per-principal limit applies, only the cap (4), of which lookups' calls may hold 2.
    const fresh = (await t.server.services.apiTokens.issue({ name: "fresh-admin", role: "admin", createdBy: "test" }))!.token;
    expect(await outcome(grpc.listSecrets({}, bearer(t.adminToken)))).toBe("ok");
    const logged = t.logs().length;
    // The lookup of the fresh token waits while this holds the table (on PGlite, the only connection).
    const release = await hold(t, sql`lock table api_tokens in access exclusive mode`);
    let waiting: Array<Promise<unknown>> = [];
    let others: Promise<unknown>;
    try {
      // The one that starts the lookup, and one that joins it.
      waiting = [outcome(grpc.listSecrets({}, bearer(fresh))), outcome(grpc.listSecrets({}, bearer(fresh)))];
      await expect
        .poll(async () => {
          const third = await outcome(grpc.listSecrets({}, { ...bearer(fresh), timeoutMs: 500 }));
          return third === "ok" ? "ok" : [Code[third.code], third.rawMessage];
        })
        .toEqual(["ResourceExhausted", "2 calls are already waiting for their tokens to be looked up; retry in 1 s"]);
      // Another token the cache does not know: one lookup at a time here (one principal's share).
      const another = await outcome(grpc.listSecrets({}, { ...bearer(`sst_${"N".repeat(43)}`), timeoutMs: 500 }));
      expect(another === "ok" ? "ok" : [Code[another.code], another.rawMessage]).toEqual(["ResourceExhausted", "token lookups under way are at their limit of 1; retry in 1 s"]);
      // The other half of the cap is still there for a principal the cache knows (on PGlite it waits for the held connection).
      others = outcome(grpc.listSecrets({}, bearer(t.adminToken)));
    } finally {
      await release();
    }
    expect(await Promise.all(waiting)).toEqual(["ok", "ok"]);
    expect(await others).toBe("ok");
    // Every refusal above is logged under its own reason (and counted under it in the periodic report), with no token.
    const lines = t.logs().slice(logged);
    const refusals = lines
      .split("\n")
      .filter((l) => l.includes('"call refused"'))
      .map((l) => JSON.parse(l) as { reason: string; code: string; rpc: string });
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(new Set(refusals.map((r) => `${r.reason} ${r.code} ${r.rpc}`))).toEqual(new Set(["token lookups ResourceExhausted secrets.v1.SecretsService/ListSecrets"]));
    expect(lines).not.toContain(fresh);
    // Looked up once, the token's calls no longer wait, and go in together.
    expect(await Promise.all(Array.from({ length: 4 }, () => outcome(grpc.listSecrets({}, bearer(fresh)))))).toEqual(["ok", "ok", "ok", "ok"]);
  });

  it("one principal holds at most its share of the in-flight calls; others still get in", async () => {
    const owner = await t.token("user", "share-owner");
    const other = await t.token("user", "share-other");
    const { secret } = await grpc.createSecret({ secretName: "shared-hold", secretValue: "sk-share-value-0000", fieldName: "K", isShared: true }, bearer(owner));
    // Both tokens are in the cache before the database is held.
    expect(await outcome(grpc.getSecret({ secretId: secret!.secretId }, bearer(other)))).toBe("ok");
    const release = await holdSecret(t, secret!.secretId);
    const blocked = grpc.updateSecret({ secretId: secret!.secretId, provider: "held" }, bearer(owner));
    let others: Promise<unknown>;
    try {
      await expect.poll(async () => ((await outcome(grpc.listSecrets({}, bearer(owner)))) as ConnectError).code).toBe(Code.ResourceExhausted);
      const refused = (await outcome(grpc.getSecret({ secretId: secret!.secretId }, bearer(owner)))) as ConnectError;
      expect(refused.rawMessage).toMatch(/^share-owner already has 1 calls in flight; retry in 1 s$/);
      expect((await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/list`, bearer(owner))).status).toBe(429);
      // Another user is admitted (on PGlite its query waits for the held connection, and completes once it is let go).
      others = outcome(grpc.getSecret({ secretId: secret!.secretId }, bearer(other)));
    } finally {
      await release();
    }
    expect(await others).toBe("ok");
    expect(await outcome(blocked)).toBe("ok");
  });
});

describe("connections per peer (SECRETS_MAX_CONNECTIONS_PER_PEER=3)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { SECRETS_MAX_CONNECTIONS_PER_PEER: "3" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("a fourth connection from the same address is closed at once; a freed place can be taken again", async () => {
    const open = (): Promise<{ socket: net.Socket; closed: Promise<void> }> =>
      new Promise((resolve) => {
        const socket = net.connect(t.port, "127.0.0.1");
        socket.on("error", () => {});
        const closed = new Promise<void>((r) => socket.once("close", () => r()));
        socket.once("connect", () => resolve({ socket, closed }));
      });
    const held = [await open(), await open(), await open()];
    const fourth = await open();
    await fourth.closed;
    held[0]!.socket.destroy();
    await held[0]!.closed;
    const health = createClient(Health, createGrpcTransport({ baseUrl: t.baseUrl }));
    // The server counts the freed place once it has seen the close.
    await expect.poll(() => outcome(health.check({}))).toBe("ok");
    for (const h of held) h.socket.destroy();
  });
});

describe("the token cache", () => {
  let s: TestServices;
  beforeAll(async () => {
    s = await openTestServices();
  });
  afterAll(async () => {
    await s?.dispose();
  });

  /** The real token store, with its lookup by hash run through `find` (to count, hold or fail it). */
  const storeWith = (find: (hash: string, real: (hash: string) => ReturnType<TokenStore["findByHash"]>) => ReturnType<TokenStore["findByHash"]>) =>
    new Proxy(s.tokenStore, {
      get: (target, key, receiver) => (key === "findByHash" ? (hash: string) => find(hash, (h) => target.findByHash(h)) : Reflect.get(target, key, receiver)),
    });

  it("remembers a token the database did not know for the TTL, so a flood of it costs no queries", async () => {
    let now = 1_000_000;
    const tokens = new ApiTokens({ store: s.tokenStore, cacheTtlMs: 5_000, now: () => now });
    const token = `sst_${"R".repeat(43)}`;
    await expect(tokens.verify(token)).rejects.toThrow("invalid API token");
    // Issued now, it is still refused from the cache, without asking the database, until the TTL runs out.
    await tokens.issue({ name: "late", role: "user", createdBy: "test", token });
    expect(() => tokens.cached(token)).toThrow("invalid API token");
    await expect(tokens.verify(token)).rejects.toThrow("invalid API token");
    // Past the TTL it is still refused at once, and checked again in the background: no call waits for that query.
    now += 5_001;
    expect(() => tokens.cached(token)).toThrow("invalid API token");
    await expect.poll(() => {
      try {
        return tokens.cached(token);
      } catch {
        return undefined;
      }
    }).toMatchObject({ subject: "late", roles: ["user"] });
    expect(await tokens.verify(token)).toMatchObject({ subject: "late", roles: ["user"] });
  });

  it("checks a refused token again once per TTL however many calls bring it, and refuses them all without waiting for it", async () => {
    let now = 2_000_000;
    let queries = 0;
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    // The second look-up of the token (the check after the TTL) is held until released.
    const counted = storeWith(async (hash, real) => (++queries > 1 && (await held), real(hash)));
    const tokens = new ApiTokens({ store: counted, cacheTtlMs: 5_000, now: () => now });
    const token = `sst_${"Q".repeat(43)}`;
    await expect(tokens.verify(token)).rejects.toThrow("invalid API token");
    now += 5_001;
    // Settled while the check is still held: no call waits for it.
    const calls = await Promise.allSettled(Array.from({ length: 200 }, () => tokens.verify(token)));
    expect(calls.every((c) => c.status === "rejected" && String(c.reason).includes("invalid API token"))).toBe(true);
    expect(queries).toBe(2);
    release();
    await expect.poll(() => Promise.allSettled([tokens.verify(token)]).then(() => queries)).toBe(2);
    // Checked again: refused for another TTL, with no query more.
    for (let i = 0; i < 50; i++) await expect(tokens.verify(token)).rejects.toThrow("invalid API token");
    expect(queries).toBe(2);
  });

  it("checks a token in use again once half its TTL has passed, in the background: its calls never wait for that query, and a revocation still takes effect within the TTL", async () => {
    let now = 3_000_000;
    let queries = 0;
    let release = () => {};
    let held = Promise.resolve();
    const counted = storeWith(async (hash, real) => (queries++, await held, real(hash)));
    const tokens = new ApiTokens({ store: counted, cacheTtlMs: 5_000, now: () => now });
    const { token, record } = (await tokens.issue({ name: "busy", role: "user", createdBy: "test" }))!;
    expect(await tokens.verify(token)).toMatchObject({ subject: "busy" });
    now += 2_000;
    expect(tokens.cached(token)).toMatchObject({ subject: "busy" });
    expect(queries).toBe(1);
    // Past half the TTL: trusted at once while the check, held here, is under way; one check however many calls.
    held = new Promise<void>((r) => (release = r));
    now += 1_000;
    for (let i = 0; i < 100; i++) expect(tokens.cached(token)).toMatchObject({ subject: "busy" });
    expect(queries).toBe(2);
    release();
    // Once it is back the token is good for a TTL from that check: past the first TTL, calls still find it at once.
    const known = () => {
      try {
        const c = tokens.cached(token);
        return c instanceof Promise ? "waiting for a query" : c?.subject;
      } catch (err) {
        return (err as Error).message;
      }
    };
    // 2,500 ms after the check: not past half the TTL, so no check starts.
    now += 2_500;
    await expect.poll(known).toBe("busy");
    expect(queries).toBe(2);
    // Revoked now: trusted until the next check, which the next call past half the TTL starts; refused after it.
    await s.tokenStore.revokeById(record.id);
    now += 100;
    expect(known()).toBe("busy");
    await expect.poll(known).toBe("API token has been revoked");
    expect(queries).toBe(3);
  });

  it("a lookup under way when a token is revoked here does not put it back in the cache", async () => {
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const slow = storeWith(async (hash, real) => (await held, real(hash)));
    const tokens = new ApiTokens({ store: slow, cacheTtlMs: 5_000 });
    const { token, record } = (await tokens.issue({ name: "raced", role: "user", createdBy: "test" }))!;
    // The lookup reads the row before the revocation commits, and answers after it.
    const first = tokens.verify(token);
    tokens.forget(record.id);
    release();
    expect(await first).toMatchObject({ subject: "raced" });
    expect(tokens.cached(token)).toBeUndefined();
  });

  it("a background check that fails is tried again a quarter of the TTL later, not by every call", async () => {
    let now = 4_000_000;
    let queries = 0;
    let failing = false;
    const flaky = storeWith(async (hash, real) => {
      queries++;
      if (failing) throw new Error("database unreachable");
      return real(hash);
    });
    const tokens = new ApiTokens({ store: flaky, cacheTtlMs: 4_000, now: () => now });
    const { token } = (await tokens.issue({ name: "flaky", role: "user", createdBy: "test" }))!;
    await tokens.verify(token);
    failing = true;
    now += 2_001;
    for (let i = 0; i < 50; i++) {
      expect(tokens.cached(token)).toMatchObject({ subject: "flaky" });
      await new Promise((r) => setImmediate(r));
    }
    expect(queries).toBe(2);
    now += 1_000;
    expect(tokens.cached(token)).toMatchObject({ subject: "flaky" });
    expect(queries).toBe(2);
    now += 1;
    expect(tokens.cached(token)).toMatchObject({ subject: "flaky" });
    expect(queries).toBe(3);
  });

  it("an expired token is refused from the cache and starts no check", async () => {
    let now = Date.now();
    let queries = 0;
    const tokens = new ApiTokens({ store: storeWith((hash, real) => (queries++, real(hash))), cacheTtlMs: 4_000, now: () => now });
    const { token } = (await tokens.issue({ name: "expiring", role: "user", createdBy: "test", expiresAt: new Date(now + 1_000) }))!;
    expect(await tokens.verify(token)).toMatchObject({ subject: "expiring" });
    // Past its expiry and past half the TTL: refused at once, and the database is not asked again.
    now += 2_500;
    for (let i = 0; i < 10; i++) expect(() => tokens.cached(token)).toThrow("API token has expired");
    expect(queries).toBe(1);
  });
});

describe("defaults", () => {
  it("the in-flight cap follows the database pool; a principal may hold a quarter of it", () => {
    const c = loadConfig({ SECRETS_DB_POOL_SIZE: "4" });
    expect(c.maxInFlight).toBe(64);
    expect(c.maxInFlightPerPrincipal).toBe(16);
    const d = loadConfig({});
    expect({ maxInFlight: d.maxInFlight, maxConnectionsPerPeer: d.maxConnectionsPerPeer, callRate: d.callRate, writeRate: d.writeRate }).toEqual({
      maxInFlight: 160,
      maxConnectionsPerPeer: 256,
      callRate: { ratePerSecond: 50, burst: 100 },
      writeRate: { ratePerSecond: 10, burst: 50 },
    });
  });
});
