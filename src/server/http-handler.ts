import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, type ConnectRouter, ConnectError, type ContextValues } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { refusalKey } from "../rpc/context.js";
import type { Admission } from "./admission.js";
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
  /** In-flight cap, authentication and per-principal limits, for every call before its body is read. */
  admission: Admission;
  readMaxBytes: number;
  log: Logger;
  /** /healthz and /readyz (see probes.ts); returns false for anything else. */
  probes?: (req: Req, res: Res) => boolean;
  /** GET /metrics (see metrics.ts); returns false for anything else. */
  metrics?: (req: Req, res: Res) => boolean;
  /** The browser console at /ui/ (see console-assets.ts); returns false for anything else. */
  consoleAssets?: (req: Req, res: Res) => boolean;
}

/**
 * Every HTTP request of the port: the probes, the console, CORS, then the RPC paths of Connect,
 * gRPC and gRPC-Web, then the REST gateway, which re-enters the same RPC
 * handlers (and so the same interceptors) as a Connect JSON call. Every call
 * passes admission before its body is read.
 */
export function createHttpHandler(options: HttpHandlerOptions): (req: Req, res: Res) => void {
  const { log } = options;
  const handlers = new Map<string, UniversalHandler>(options.router.handlers.map((h) => [h.requestPath, h]));
  const cors = createCors(options.corsOrigins);
  const gateway = createRestGateway({
    routes: options.restRoutes,
    readMaxBytes: options.readMaxBytes,
    admission: options.admission,
    contextValues: options.contextValues,
    dispatch: (route, json, req, contextValues) => {
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
        contextValues,
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
    if (options.metrics?.(req, res)) return;
    if (options.consoleAssets?.(req, res)) return;
    if (options.grpcFastPath && req.httpVersion === "2.0" && options.grpcFastPath(req as Http2ServerRequest, res as Http2ServerResponse)) return;
    if (cors(req, res) === "answered") return;
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const handler = handlers.get(path);
    if (handler) {
      const values = options.contextValues(req);
      void options.admission.admit(handler.method, req.headers.authorization, values).then((admitted) => {
        const uReq = universalRequestFromNodeRequest(req, res, undefined, values);
        if (admitted.admitted) {
          // Held until the response closes: connect-node's handler promise settles before a streamed answer is
          // written, and universalResponseToNodeResponse's never (it waits for an "end" event responses do not emit).
          if ("stream" in res ? res.stream.closed : res.closed) admitted.release();
          else res.once("close", admitted.release);
        } else {
          // connect-node answers the refusal in the call's own protocol: it reads the body first, so the body
          // it gets fails with the refusal (the client's bytes are dropped unread); a GET meets it in refusalInterceptor.
          values.set(refusalKey, admitted.error);
          req.resume();
        }
        handler(admitted.admitted ? uReq : { ...uReq, body: failing(admitted.error) })
          .then(invalidArgumentForParseFailures)
          .then((uRes) => universalResponseToNodeResponse(uRes, res))
          .catch(fail(path, res));
      });
      return;
    }
    gateway(req, res).catch(fail("rest gateway", res));
  };
}

/** A request body whose first read fails with the error. */
async function* failing(err: ConnectError): AsyncIterable<Uint8Array> {
  throw err;
}
