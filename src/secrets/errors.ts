import { isUnavailable } from "../store/errors.js";

/** gRPC status names; the rpc layer maps them to wire codes and HTTP statuses. */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "RESOURCE_EXHAUSTED"
  | "FAILED_PRECONDITION"
  | "ABORTED"
  | "DATA_LOSS"
  | "UNAVAILABLE";

/**
 * An error meant for the caller. Its message is safe to return: it may name
 * ids, names and fields, never a value or a token.
 */
export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** An access refusal, whatever the caller is told (a hidden secret is reported NOT_FOUND); audited as "denied". */
    readonly denied = code === "PERMISSION_DENIED",
    /** For RESOURCE_EXHAUSTED: when to try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new ServiceError("INVALID_ARGUMENT", message);
export const notFound = (message: string) => new ServiceError("NOT_FOUND", message);
export const secretNotFound = (id: string, hidden = false) => new ServiceError("NOT_FOUND", `secret ${id} does not exist`, hidden);

/** The audit outcome of a failed call. */
export function outcomeOf(err: unknown): string {
  if (err instanceof ServiceError) return err.denied ? "denied" : err.code;
  return isUnavailable(err) ? "UNAVAILABLE" : "INTERNAL";
}
