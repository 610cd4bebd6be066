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
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new ServiceError("INVALID_ARGUMENT", message);
export const notFound = (message: string) => new ServiceError("NOT_FOUND", message);
export const secretNotFound = (id: string) => notFound(`secret ${id} does not exist`);
