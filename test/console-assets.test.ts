import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, createConsoleAssets } from "../src/server/console-assets.js";
import { type TestServer, startTestServer } from "./support/server.js";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request: the path goes on the wire exactly as written (fetch would resolve `..` first). */
function request(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("console assets", () => {
  let root: string;
  let server: http.Server;
  let port: number;
  const INDEX = "<!doctype html><title>console</title>";
  const SCRIPT = `console.log("app");${" ".repeat(2000)}`;

  beforeAll(async () => {
    const base = mkdtempSync(join(tmpdir(), "console-assets-"));
    root = join(base, "console");
    mkdirSync(join(root, "assets"), { recursive: true });
    writeFileSync(join(root, "index.html"), INDEX);
    writeFileSync(join(root, "assets", "app-ABCD1234.js"), SCRIPT);
    writeFileSync(join(root, "assets", "app-EFGH5678.css"), "body{}");
    // Beside the console, where a traversal would land.
    writeFileSync(join(base, "secret.txt"), "outside the console");
    const handle = createConsoleAssets(root);
    server = http.createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(418).end("not the console");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("serves index.html at /ui/ uncached, with the strict security headers", async () => {
    const res = await request(port, "/ui/");
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(INDEX);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["x-frame-options"]).toBe("DENY");
  });

  it("serves hashed assets with their content type, immutable for a year, gzipped when asked", async () => {
    const js = await request(port, "/ui/assets/app-ABCD1234.js", { "accept-encoding": "gzip, br" });
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(js.body).toString()).toBe(SCRIPT);
    const css = await request(port, "/ui/assets/app-EFGH5678.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(css.headers["content-encoding"]).toBeUndefined();
    expect(css.body.toString()).toBe("body{}");
  });

  it("answers a page of the app with index.html and a missing asset with 404", async () => {
    for (const path of ["/ui/secrets", "/ui/gateway/endpoints", "/ui/audit?x=1"]) {
      const res = await request(port, path);
      expect([path, res.status, res.body.toString()]).toEqual([path, 200, INDEX]);
    }
    const missing = await request(port, "/ui/assets/app-OLDHASH1.js");
    expect(missing.status).toBe(404);
    expect(missing.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("never reads a file outside the console, however the path is spelled", async () => {
    const attempts = [
      "/ui/../secret.txt",
      "/ui/assets/../../secret.txt",
      "/ui/%2e%2e/secret.txt",
      "/ui/%2e%2e%2fsecret.txt",
      "/ui/..%2f..%2fsecret.txt",
      "/ui/..%5csecret.txt",
      "/ui/%252e%252e%252fsecret.txt",
      "/ui//etc/passwd",
      "/ui/%2fetc%2fpasswd",
      "/ui/assets/%00.js",
      "/ui/%E0%A4%A",
    ];
    for (const path of attempts) {
      const res = await request(port, path);
      expect(res.body.toString(), path).not.toContain("outside the console");
      expect(res.body.toString(), path).not.toContain("root:");
      expect([200, 404]).toContain(res.status);
    }
  });

  it("redirects a browser at / to /ui/, and leaves / to the service for anything else", async () => {
    const browser = await request(port, "/", { accept: "text/html,application/xhtml+xml" });
    expect(browser.status).toBe(302);
    expect(browser.headers.location).toBe("/ui/");
    expect((await request(port, "/ui")).headers.location).toBe("/ui/");
    expect((await request(port, "/", { accept: "application/json" })).status).toBe(418);
    expect((await request(port, "/", { accept: "text/html" }, "POST")).status).toBe(418);
    expect((await request(port, "/api/2.0/mlflow/secrets/list")).status).toBe(418);
    expect((await request(port, "/uix")).status).toBe(418);
  });

  it("allows only GET and HEAD under /ui/", async () => {
    expect((await request(port, "/ui/", {}, "POST")).status).toBe(405);
    const head = await request(port, "/ui/", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });
});

describe("the console on the service's port", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  it("serves the built console and keeps REST, Connect and the probes where they were", async () => {
    const page = await fetch(`${t.baseUrl}/ui/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/ui\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(html).not.toMatch(/<script>|<script(?![^>]*src=)[^>]*>/);
    const js = await fetch(`${t.baseUrl}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toContain("immutable");

    const redirect = await fetch(`${t.baseUrl}/`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(redirect.status).toBe(302);
    const rest = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/list`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(rest.status).toBe(200);
    const connect = await fetch(`${t.baseUrl}/secrets.v1.TokenService/WhoAmI`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(connect.status).toBe(200);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
  });

  it("takes the console's calls from its own origin without a CORS allowlist entry, and still refuses other origins", async () => {
    const whoAmI = (origin: string) =>
      fetch(`${t.baseUrl}/secrets.v1.TokenService/WhoAmI`, {
        method: "POST",
        headers: { origin, authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" },
        body: "{}",
      });
    const same = await whoAmI(t.baseUrl);
    expect(same.status).toBe(200);
    expect(same.headers.get("access-control-allow-origin")).toBeNull();
    expect((await whoAmI(`http://localhost:${t.port}`)).status).toBe(403);
    expect((await whoAmI("http://evil.example")).status).toBe(403);
  });
});
