import { Code, ConnectError } from "@connectrpc/connect";
import { EnvMappingError, type EnvMappingProblem } from "../client/env-mapping.js";
import { ConfigError } from "../config.js";
import { KeyringMismatchError } from "../secrets/keyring-loader.js";
import { ServiceError } from "../secrets/errors.js";
import { DataDirLockedError } from "../store/data-dir-lock.js";
import { isUnavailable } from "../store/errors.js";

/**
 * Exit codes scripts can rely on. `run` exits with its command's own code
 * once the command started; these are secretsctl's, said on stderr as
 * "secretsctl: …".
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Also: a resolve found no binding. */
  notFound: 3,
  /** PERMISSION_DENIED or UNAUTHENTICATED. */
  denied: 4,
  conflict: 5,
  unavailable: 6,
  /** RESOURCE_EXHAUSTED: rate limited (or a request over a limit). */
  rateLimited: 7,
  /** A resolve met a revoked secret. */
  revoked: 8,
  /** A variable name or value an environment cannot hold. */
  invalidEnv: 9,
  /** Two bindings would set the same variable. */
  envCollision: 10,
  /** A variable is already set and --override was not given. */
  envOverwrite: 11,
  /** The command was found but could not be started (as a shell says: 126). */
  cannotExecute: 126,
  /** The command was not found (as a shell says: 127). */
  commandNotFound: 127,
  interrupted: 130,
} as const;

export const EXIT_HELP = `
Exit codes:
  0 ok, 1 failure, 2 bad input or usage, 3 not found (run/resolve: nothing bound),
  4 permission denied or unauthenticated, 5 conflict (exists, stale etag, failed precondition),
  6 unavailable, 7 rate limited (RESOURCE_EXHAUSTED), 8 a resolved secret is revoked,
  9 invalid environment variable name or value, 10 two bindings set the same variable,
  11 a variable is already set (run without --override), 126 command cannot be executed,
  127 command not found, 130 interrupted. Once its command started, run exits with the
  command's code, or 128 + the signal's number when a signal ended it.`;

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
  [Code.ResourceExhausted]: EXIT.rateLimited,
};

const SERVICE_CODES: Record<ServiceError["code"], number> = {
  INVALID_ARGUMENT: EXIT.usage,
  NOT_FOUND: EXIT.notFound,
  PERMISSION_DENIED: EXIT.denied,
  UNAUTHENTICATED: EXIT.denied,
  ALREADY_EXISTS: EXIT.conflict,
  ABORTED: EXIT.conflict,
  FAILED_PRECONDITION: EXIT.conflict,
  RESOURCE_EXHAUSTED: EXIT.rateLimited,
  UNAVAILABLE: EXIT.unavailable,
  DATA_LOSS: EXIT.failure,
};

const ENV_CODES: Record<EnvMappingProblem, number> = {
  "invalid-name": EXIT.invalidEnv,
  "invalid-value": EXIT.invalidEnv,
  collision: EXIT.envCollision,
  "no-binding": EXIT.notFound,
};

/** The message and exit code for any error a command can meet. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConnectError) return { message: `${Code[err.code]}: ${err.rawMessage}`, exitCode: BY_CODE[err.code] ?? EXIT.failure };
  if (err instanceof EnvMappingError) return { message: err.message, exitCode: ENV_CODES[err.problem] };
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
