import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, type ConnectRouter, ConnectError, type ContextValues } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { createCors } from "./cors.js";
import { invalidArgumentForParseFailures } from "./parse-errors.js";
import { createRestGateway, sendError } from "./rest-gateway.js";
import type { RestRoute } from "./rest-routes.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface HttpHandlerOptions {
  router: ConnectRouter;
  /** Serves unary gRPC over HTTP/2 directly; returns false for anything it leaves to connect-node. */
  grpcFastPath?: (req: Http2ServerRequest, res: Http2ServerResponse) => boolean;
  restRoutes: RestRoute[];
  corsOrigins: readonly string[];
  /** Per-call values (caller, request id) derived from the HTTP request. */
  contextValues: (req: Req) => ContextValues;
  readMaxBytes: number;
  log: Logger;
  /** /healthz and /readyz (see probes.ts); returns false for anything else. */
  probes?: (req: Req, res: Res) => boolean;
  /** The browser console at /ui/ (see console-assets.ts); returns false for anything else. */
  consoleAssets?: (req: Req, res: Res) => boolean;
}

/**
 * Every HTTP request of the port: the probes, the console, CORS, then the RPC paths of Connect,
 * gRPC and gRPC-Web, then the REST gateway, which re-enters the same RPC
 * handlers (and so the same interceptors) as a Connect JSON call.
 */
export function createHttpHandler(options: HttpHandlerOptions): (req: Req, res: Res) => void {
  const { log } = options;
  const handlers = new Map<string, UniversalHandler>(options.router.handlers.map((h) => [h.requestPath, h]));
  const cors = createCors(options.corsOrigins);
  const gateway = createRestGateway({
    routes: options.restRoutes,
    readMaxBytes: options.readMaxBytes,
    dispatch: (route, json, req) => {
      const handler = handlers.get(`/${route.method.parent.typeName}/${route.method.name}`)!;
      const header = new Headers({ "content-type": "application/json", "connect-protocol-version": "1" });
      for (const name of ["authorization", "x-request-id"]) {
        const value = req.headers[name];
        if (typeof value === "string") header.set(name, value);
      }
      return handler({
        httpVersion: req.httpVersion,
        method: "POST",
        url: `http://gateway${handler.requestPath}`,
        header,
        body: json,
        signal: AbortSignal.timeout(60_000),
        contextValues: options.contextValues(req),
      });
    },
  });

  const fail = (where: string, res: Res) => (err: unknown) => {
    if (ConnectError.from(err).code === Code.Aborted) return;
    log.error({ err: { name: (err as Error)?.name } , where }, "request handling failed");
    if (!res.headersSent) sendError(res, 500, "INTERNAL_ERROR", "internal error");
    else res.destroy();
  };

  return (req, res) => {
    if (options.probes?.(req, res)) return;
    if (options.consoleAssets?.(req, res)) return;
    if (options.grpcFastPath && req.httpVersion === "2.0" && options.grpcFastPath(req as Http2ServerRequest, res as Http2ServerResponse)) return;
    if (cors(req, res) === "answered") return;
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const handler = handlers.get(path);
    if (handler) {
      const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues(req));
      handler(uReq)
        .then(invalidArgumentForParseFailures)
        .then((uRes) => universalResponseToNodeResponse(uRes, res))
        .catch(fail(path, res));
      return;
    }
    gateway(req, res).catch(fail("rest gateway", res));
  };
}
