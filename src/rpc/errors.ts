import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { AuthenticationError } from "../auth/errors.js";
import { ServiceError } from "../secrets/errors.js";
import { isUnavailable } from "../store/errors.js";

const CODES: Record<ServiceError["code"], Code> = {
  INVALID_ARGUMENT: Code.InvalidArgument,
  NOT_FOUND: Code.NotFound,
  ALREADY_EXISTS: Code.AlreadyExists,
  PERMISSION_DENIED: Code.PermissionDenied,
  UNAUTHENTICATED: Code.Unauthenticated,
  RESOURCE_EXHAUSTED: Code.ResourceExhausted,
  FAILED_PRECONDITION: Code.FailedPrecondition,
  ABORTED: Code.Aborted,
  DATA_LOSS: Code.DataLoss,
  UNAVAILABLE: Code.Unavailable,
};

/**
 * The one translation of any error into what a caller may see. Domain errors
 * keep their (value-free) message; an unreachable database is UNAVAILABLE;
 * everything else is INTERNAL with only a reference id, while the details go
 * to the log without driver messages, which can quote SQL parameters.
 */
export function toConnectError(err: unknown, log: Logger): ConnectError {
  if (err instanceof ServiceError) {
    const metadata = err.retryAfterSeconds === undefined ? undefined : { "retry-after": String(err.retryAfterSeconds) };
    return new ConnectError(err.message, CODES[err.code], metadata);
  }
  if (err instanceof AuthenticationError) return new ConnectError(err.message, Code.Unauthenticated);
  if (err instanceof ConnectError) return err;
  if (isUnavailable(err)) {
    log.warn({ err: describe(err) }, "database unavailable");
    return new ConnectError("the database is unavailable; retry shortly", Code.Unavailable);
  }
  const ref = randomUUID();
  log.error({ err: describe(err), ref }, "internal error");
  return new ConnectError(`internal error (ref ${ref})`, Code.Internal);
}

/** Error facts that are safe to log: names, codes and our own frames, never driver text. */
function describe(err: unknown): Record<string, unknown> {
  const chain: Array<Record<string, unknown>> = [];
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const x = e as { name?: unknown; code?: unknown; constraint_name?: unknown; routine?: unknown };
    chain.push({ name: x.name, code: x.code, constraint: x.constraint_name, routine: x.routine });
    e = (e as { cause?: unknown }).cause;
  }
  // Frames only: a multi-line message (drizzle appends "params: …") would otherwise follow the first line.
  const stack = err instanceof Error && err.stack ? err.stack.split("\n").filter((l) => l.startsWith("    at ")).slice(0, 7).join("\n") : undefined;
  return { chain, stack };
}
