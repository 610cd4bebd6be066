import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface ProbeState {
  /** The database answered its last health probe. */
  databaseReachable(): boolean;
  /** The keyring is in line with the KEK versions the database names (its last refresh succeeded). */
  keyringLoaded(): boolean;
  /** Shutting down: in-flight calls finish, new ones belong elsewhere. */
  draining(): boolean;
}

/**
 * HTTP probes beside grpc.health.v1, for load balancers and orchestrators
 * that speak only HTTP: `GET /healthz` (liveness: the process answers) and
 * `GET /readyz` (readiness: database reachable, keyring loaded, not shutting
 * down; 503 otherwise). No credentials, on HTTP/1.1 and HTTP/2, answered from
 * state kept in memory, so that frequent probes cost the database nothing.
 * Returns false for any other request.
 */
export function createProbes(state: ProbeState): (req: Req, res: Res) => boolean {
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/healthz" && path !== "/readyz") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      reply(req, res, 405, { status: "method not allowed" }, { allow: "GET, HEAD" });
    } else if (path === "/healthz") {
      reply(req, res, 200, { status: "ok" });
    } else {
      const database = state.databaseReachable() ? "ok" : "unreachable";
      const keyring = state.keyringLoaded() ? "ok" : "stale";
      const draining = state.draining();
      const ready = database === "ok" && keyring === "ok" && !draining;
      reply(req, res, ready ? 200 : 503, { status: ready ? "ready" : draining ? "shutting down" : "not ready", database, keyring });
    }
    return true;
  };
}

function reply(req: Req, res: Res, status: number, body: object, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json), "cache-control": "no-store", ...headers });
  if (req.method === "HEAD") res.end();
  else res.end(json);
}
