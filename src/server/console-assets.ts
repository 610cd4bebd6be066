import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/**
 * Where `npm run build` puts the console. Both this module (run by tsx from
 * src/server/) and the server bundle (dist/bin/main.js) sit two folders
 * under the project root, so one relative URL finds it from either.
 */
export const CONSOLE_DIR = fileURLToPath(new URL("../../dist/console/", import.meta.url));

export const CONSOLE_PREFIX = "/ui/";

/** The console talks only to this origin, runs only its own files, and cannot be framed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** esbuild's `[name]-[hash]` names: the content decides the name, so the file may be cached forever. */
const HASHED = /-[A-Z0-9]{8,}\.[a-z0-9]+$/;

interface Asset {
  body: Buffer;
  gzipped?: Buffer;
  headers: Record<string, string>;
}

/**
 * Serves the built console at /ui/ and sends browsers asking for / there.
 * Every file is read into memory at start and looked up by its exact
 * relative name, so no request path ever reaches the file system: `..`,
 * encoded slashes and the like can only miss. A path without a file and
 * without an extension is a page of the app (index.html); a missing asset
 * is 404, so a stale script name never gets HTML back.
 */
export function createConsoleAssets(root: string = CONSOLE_DIR): (req: Req, res: Res) => boolean {
  const assets = loadAssets(root);
  const index = assets.get("index.html");

  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (path === "/") {
      const wantsPage = (req.method === "GET" || req.method === "HEAD") && String(req.headers.accept ?? "").includes("text/html");
      if (!wantsPage) return false;
      res.writeHead(302, { location: CONSOLE_PREFIX, "cache-control": "no-cache" }).end();
      return true;
    }
    if (path === "/ui") {
      res.writeHead(301, { location: CONSOLE_PREFIX }).end();
      return true;
    }
    if (!path.startsWith(CONSOLE_PREFIX)) return false;

    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", ...SECURITY_HEADERS }).end();
      return true;
    }
    if (!index) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS }).end("The console is not built: run `npm run build`.\n");
      return true;
    }
    const name = decodePath(path.slice(CONSOLE_PREFIX.length));
    const asset = name === undefined ? undefined : (assets.get(name) ?? (isPageRoute(name) ? index : undefined));
    if (!asset) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS }).end("Not found\n");
      return true;
    }
    const gzip = asset.gzipped && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? asset.gzipped! : asset.body;
    res.writeHead(200, { ...asset.headers, ...(gzip ? { "content-encoding": "gzip" } : {}), "content-length": String(body.length) });
    if (req.method === "HEAD") res.end();
    else res.end(body);
    return true;
  };
}

function decodePath(raw: string): string | undefined {
  try {
    return raw === "" ? "index.html" : decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function isPageRoute(name: string): boolean {
  const last = name.slice(name.lastIndexOf("/") + 1);
  return !last.includes(".");
}

function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(root)) return assets;
  for (const relativePath of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    const file = join(root, relativePath);
    if (!statSync(file).isFile()) continue;
    const name = relativePath.split(sep).join("/");
    const type = CONTENT_TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(file);
    const gzipped = type.startsWith("text/") || type.startsWith("application/json") || type.startsWith("image/svg") ? gzipSync(body) : undefined;
    assets.set(name, {
      body,
      gzipped: gzipped && gzipped.length < body.length ? gzipped : undefined,
      headers: {
        "content-type": type,
        "cache-control": HASHED.test(name) ? "public, max-age=31536000, immutable" : "no-cache",
        vary: "accept-encoding",
        ...SECURITY_HEADERS,
      },
    });
  }
  return assets;
}
