import { type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { callInfoKey, principalKey, refusalKey } from "./context.js";
import { toConnectError } from "./errors.js";

/**
 * Outermost: answers a call that admission refused with its refusal. Only a
 * Connect GET gets here refused: its message travels in the URL, so
 * connect-node decodes it without reading a body (a refused call with a body
 * fails as that body is read, before any interceptor runs).
 */
export function refusalInterceptor(): Interceptor {
  return (next) => async (req) => {
    const refusal = req.contextValues.get(refusalKey);
    if (refusal) throw refusal;
    return next(req);
  };
}

/**
 * Outermost: one log line per call with its outcome, never a payload or a
 * credential. Successes are logged at debug (the audit trail already records
 * every call that touches a secret), failures at info.
 */
export function loggingInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const info = req.contextValues.get(callInfoKey);
    const fields = () => ({
      rpc: `${req.service.typeName}/${req.method.name}`,
      protocol: req.header.get("content-type")?.startsWith("application/grpc") ? "grpc" : undefined,
      principal: req.contextValues.get(principalKey)?.subject,
      requestId: info.requestId,
      peer: info.peer,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
    try {
      const res = await next(req);
      if (log.isLevelEnabled("debug")) log.debug({ ...fields(), code: "ok" }, "call");
      return res;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      log.info({ ...fields(), code }, "call failed");
      throw err;
    }
  };
}

/** Every error leaves as a ConnectError that carries nothing but a safe message. */
export function errorInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      throw toConnectError(err, log);
    }
  };
}
