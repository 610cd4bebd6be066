import { type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticator.js";
import { callInfoKey, principalKey } from "./context.js";
import { toConnectError } from "./errors.js";

/** Services any caller may use without credentials: health probes and schema discovery. */
const OPEN_SERVICES = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

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

/** Sets the principal for every call of a protected service, or refuses it. */
export function authInterceptor(authenticator: Authenticator): Interceptor {
  return (next) => async (req) => {
    if (!OPEN_SERVICES.has(req.service.typeName)) {
      req.contextValues.set(principalKey, await authenticator.authenticate(req.header.get("authorization")));
    }
    return next(req);
  };
}
