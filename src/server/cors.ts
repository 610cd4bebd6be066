import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { cors as connectCors } from "@connectrpc/connect";

const ALLOW_METHODS = [...new Set([...connectCors.allowedMethods, "GET", "POST", "PATCH", "DELETE", "OPTIONS"])].join(", ");
const ALLOW_HEADERS = [...new Set([...connectCors.allowedHeaders, "Authorization", "X-Request-Id"])].join(", ");
const EXPOSE_HEADERS = [...new Set([...connectCors.exposedHeaders, "X-Request-Id", "Retry-After"])].join(", ");
/** How long browsers may cache a preflight answer: 2 hours, Chromium's cap. */
const MAX_AGE_SECONDS = "7200";

export type CorsOutcome = "continue" | "answered";

/**
 * CORS at the HTTP layer, in front of every protocol. Requests from an origin
 * not on the allowlist are refused outright (403) rather than merely left
 * without CORS headers, so that no cross-site request reaches a handler.
 * The console served at /ui/ calls from the service's own origin, which
 * browsers name in Origin on every POST: that is not a cross-site request.
 */
export function createCors(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return function applyCors(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): CorsOutcome {
    const origin = req.headers.origin;
    if (origin === undefined || isSameOrigin(origin, req)) return "continue";
    res.setHeader("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (!allowed.has(origin)) {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ error_code: "PERMISSION_DENIED", message: `origin ${origin} is not allowed (SECRETS_CORS_ORIGINS)` }));
      return "answered";
    }
    res.setHeader("access-control-allow-origin", origin);
    if (preflight) {
      res.writeHead(204, {
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": MAX_AGE_SECONDS,
      });
      res.end();
      return "answered";
    }
    res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
    return "continue";
  };
}

/**
 * The page was served by this port. (A DNS-rebinding page also passes, but
 * gains nothing: every call needs a bearer token, and no cookie or other
 * ambient credential is ever accepted.)
 */
function isSameOrigin(origin: string, req: IncomingMessage | Http2ServerRequest): boolean {
  const host = req.headers[":authority"] ?? req.headers.host;
  if (typeof host !== "string") return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
