/// <reference lib="dom" />
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, startTestServer } from "./support/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);

describe.skipIf(!available)("a browser page using @connectrpc/connect-web from another origin", () => {
  let t: TestServer;
  let pages: http.Server;
  let pagePort: number;
  let browser: Browser;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("./browser/page-client.ts", import.meta.url))],
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
    });
    const script = bundle.outputFiles[0]!.text;
    pages = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/client.js") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(script);
        return;
      }
      const settings = JSON.stringify({ url: url.searchParams.get("server"), token: url.searchParams.get("token"), name: url.searchParams.get("name") });
      res.writeHead(200, { "content-type": "text/html" }).end(
        `<!doctype html><script>const s = ${settings}; window.SECRETS_URL = s.url; window.SECRETS_TOKEN = s.token; window.SECRET_NAME = s.name;</script><script type="module" src="/client.js"></script>`,
      );
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    pagePort = (pages.address() as AddressInfo).port;
    // Only the 127.0.0.1 origin of the page server is allowed; the same page as localhost is another origin.
    t = await startTestServer({ env: { SECRETS_CORS_ORIGINS: `http://127.0.0.1:${pagePort}` } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await new Promise((resolve) => pages?.close(resolve));
  });

  async function runPage(host: string, name: string) {
    const page = await browser.newPage();
    const query = new URLSearchParams({ server: t.baseUrl, token: t.adminToken, name });
    await page.goto(`http://${host}:${pagePort}/?${query}`);
    type PageWindow = { result?: { ok: boolean; listed?: string[]; fetched?: string; error?: string } };
    await page.waitForFunction(() => (window as unknown as PageWindow).result !== undefined, undefined, { timeout: 15_000 });
    const result = await page.evaluate(() => (window as unknown as PageWindow).result!);
    await page.close();
    return result;
  }

  it("creates (Connect), lists (gRPC-Web) and reads (Connect GET) when the origin is allowed", async () => {
    const result = await runPage("127.0.0.1", "from-browser");
    expect(result).toMatchObject({ ok: true, listed: expect.arrayContaining(["from-browser"]), fetched: "sk-...001" });
  });

  it("is refused by CORS from an origin that is not allowed, and nothing is created", async () => {
    const result = await runPage("localhost", "from-elsewhere");
    expect(result.ok).toBe(false);
    const list = await fetch(`${t.baseUrl}/api/2.0/mlflow/secrets/list`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    const names = ((await list.json()) as { secrets: Array<{ secret_name: string }> }).secrets.map((s) => s.secret_name);
    expect(names).not.toContain("from-elsewhere");
  });
});
