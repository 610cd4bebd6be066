import { Code, ConnectError } from "@connectrpc/connect";
import { ConfigError } from "../config.js";
import { KeyringMismatchError } from "../secrets/keyring-loader.js";
import { ServiceError } from "../secrets/errors.js";
import { DataDirLockedError } from "../store/data-dir-lock.js";
import { isUnavailable } from "../store/errors.js";

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  denied: 4,
  conflict: 5,
  unavailable: 6,
} as const;

/** A failure the CLI reports in one line with a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

const BY_CODE: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: EXIT.usage,
  [Code.OutOfRange]: EXIT.usage,
  [Code.NotFound]: EXIT.notFound,
  [Code.PermissionDenied]: EXIT.denied,
  [Code.Unauthenticated]: EXIT.denied,
  [Code.AlreadyExists]: EXIT.conflict,
  [Code.Aborted]: EXIT.conflict,
  [Code.FailedPrecondition]: EXIT.conflict,
  [Code.Unavailable]: EXIT.unavailable,
  [Code.DeadlineExceeded]: EXIT.unavailable,
  [Code.ResourceExhausted]: EXIT.unavailable,
};

const SERVICE_CODES: Record<ServiceError["code"], number> = {
  INVALID_ARGUMENT: EXIT.usage,
  NOT_FOUND: EXIT.notFound,
  PERMISSION_DENIED: EXIT.denied,
  UNAUTHENTICATED: EXIT.denied,
  ALREADY_EXISTS: EXIT.conflict,
  ABORTED: EXIT.conflict,
  FAILED_PRECONDITION: EXIT.conflict,
  RESOURCE_EXHAUSTED: EXIT.unavailable,
  UNAVAILABLE: EXIT.unavailable,
  DATA_LOSS: EXIT.failure,
};

/** The message and exit code for any error a command can meet. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConnectError) return { message: `${Code[err.code]}: ${err.rawMessage}`, exitCode: BY_CODE[err.code] ?? EXIT.failure };
  if (err instanceof ServiceError) return { message: `${err.code}: ${err.message}`, exitCode: SERVICE_CODES[err.code] };
  if (err instanceof ConfigError) return { message: `configuration error: ${err.message}`, exitCode: EXIT.usage };
  if (err instanceof DataDirLockedError) return { message: err.message, exitCode: EXIT.unavailable };
  if (err instanceof KeyringMismatchError) return { message: err.message, exitCode: EXIT.failure };
  if (isUnavailable(err)) return { message: "the database is unavailable", exitCode: EXIT.unavailable };
  return { message: `unexpected error: ${(err as Error)?.name ?? "unknown"}${err instanceof Error && !isDriverError(err) ? `: ${err.message}` : ""}`, exitCode: EXIT.failure };
}

// Driver messages can quote SQL parameters; they are not printed.
function isDriverError(err: Error): boolean {
  return "code" in err || "query" in err;
}
