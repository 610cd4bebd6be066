import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { createTestDatabase } from "./support/database.js";
import { type TestServer, startTestServer } from "./support/server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function codeOf(p: Promise<unknown>): Promise<{ code: Code | "ok"; message: string }> {
  try {
    await p;
    return { code: "ok", message: "" };
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
}

describe("JWT bearer tokens", () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwks: http.Server;
  let servers: TestServer[] = [];
  const sign = (claims: Record<string, unknown>, opts: { exp?: string | number; aud?: string; key?: CryptoKey | Uint8Array | object } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject(String(claims.sub ?? "jwt-user"))
      .setIssuer("https://issuer.test")
      .setAudience(opts.aud ?? "secrets")
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? "5m")
      .sign((opts.key ?? keys.privateKey) as CryptoKey);

  beforeAll(async () => {
    keys = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it.each(["public key", "JWKS URL"])("verifies signature, issuer, audience and expiry, and reads roles (%s)", async (source) => {
    const env: Record<string, string> = { SECRETS_JWT_ISSUER: "https://issuer.test", SECRETS_JWT_AUDIENCE: "secrets", SECRETS_JWT_ROLES_CLAIM: "realm.roles" };
    if (source === "public key") env.SECRETS_JWT_PUBLIC_KEY = await exportSPKI(keys.publicKey);
    else env.SECRETS_JWT_JWKS_URL = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    const t = await startTestServer({ env });
    servers.push(t);
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
    const call = (token: string) => codeOf(client.listAuditEvents({}, { headers: { authorization: `Bearer ${token}` } }));

    expect((await call(await sign({ realm: { roles: ["admin"] } }))).code).toBe("ok");
    expect((await call(await sign({ realm: { roles: ["user"] } }))).code).toBe(Code.PermissionDenied);
    const created = await client.createSecret({ secretName: "jwt-made", secretValue: "sk-jwt-made-00000000", fieldName: "K" }, { headers: { authorization: `Bearer ${await sign({ sub: "carol", realm: { roles: ["user"] } })}` } });
    expect(created.secret?.createdBy).toBe("carol");

    const expired = await call(await sign({ realm: { roles: ["admin"] } }, { exp: Math.floor(Date.now() / 1000) - 120 }));
    expect(expired).toEqual({ code: Code.Unauthenticated, message: "JWT has expired" });
    const wrongAudience = await call(await sign({ realm: { roles: ["admin"] } }, { aud: "someone-else" }));
    expect(wrongAudience.code).toBe(Code.Unauthenticated);
    expect(wrongAudience.message).toContain('"aud"');
    const stranger = await generateKeyPair("ES256");
    const forged = await call(await sign({ realm: { roles: ["admin"] } }, { key: stranger.privateKey }));
    expect(forged.code).toBe(Code.Unauthenticated);
    const garbage = await call("eyJhbGciOiJub25lIn0.e30.");
    expect(garbage.code).toBe(Code.Unauthenticated);
    expect(t.logs()).not.toContain("eyJ");
  });
});

describe.skipIf(!inject("postgresUrl"))("API token revocation across replicas", () => {
  it("every replica refuses a revoked token within the cache TTL, and the CLI manages tokens", async () => {
    const db = await createTestDatabase("postgres");
    const env = { DATABASE_URL: db.url!, SECRETS_TOKEN_CACHE_TTL_MS: "300" };
    const a = await startTestServer({ env });
    // A second replica: same database, same keystore.
    const keystore = a.config.kek.kind === "keystore" ? a.config.kek.dir : "";
    const b = await startTestServer({ env: { ...env, SECRETS_BOOTSTRAP_TOKEN: "", SECRETS_KEYSTORE_PATH: keystore } });
    try {
      const cli = (...args: string[]) =>
        promisify(execFile)(process.execPath, ["bin/secretsctl.js", ...args], { cwd: ROOT, env: { PATH: process.env.PATH, DATABASE_URL: db.url, SECRETS_DATA_DIR: db.dataDir, SECRETS_KEYSTORE_PATH: keystore } });
      const { stdout } = await cli("token", "create", "--name", "replicated", "--role", "user", "--expires", "1d");
      const token = stdout.trim();
      expect(token).toMatch(/^sst_[A-Za-z0-9_-]{43}$/);
      const listed = JSON.parse((await cli("token", "list", "--output", "json")).stdout) as Array<{ name: string; roles: string[] }>;
      expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ name: "replicated", roles: ["user"] })]));
      expect(JSON.stringify(listed)).not.toContain(token);

      const clients = [a, b].map((s) => createClient(SecretsService, createGrpcTransport({ baseUrl: s.baseUrl })));
      const list = (c: (typeof clients)[number]) => codeOf(c.listSecrets({}, { headers: { authorization: `Bearer ${token}` } }));
      for (const c of clients) expect((await list(c)).code).toBe("ok");

      await cli("token", "revoke", "replicated");
      for (const c of clients) {
        await expect.poll(async () => (await list(c)).message, { timeout: 3_000, interval: 100 }).toBe("API token has been revoked");
      }
      const missing = await cli("token", "revoke", "nobody").catch((e: { code: number; stderr: string }) => e);
      expect(missing).toMatchObject({ code: 3, stderr: expect.stringContaining("no live token") });
      const bad = await cli("token", "create", "--name", "x", "--role", "root").catch((e: { code: number }) => e);
      expect((bad as { code: number }).code).toBe(2);
    } finally {
      await a.stop();
      await b.stop();
      await db.drop();
    }
  }, 60_000);
});
