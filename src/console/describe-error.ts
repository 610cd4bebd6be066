import { Code, ConnectError } from "@connectrpc/connect";

const PLAIN_WORDS: Partial<Record<Code, string>> = {
  [Code.InvalidArgument]: "The request was not accepted",
  [Code.NotFound]: "Not found",
  [Code.AlreadyExists]: "Already exists",
  [Code.PermissionDenied]: "Not allowed",
  [Code.Unauthenticated]: "Not signed in, or the token is no longer valid",
  [Code.Aborted]: "Changed by someone else since you opened it",
  [Code.FailedPrecondition]: "Not possible in the current state",
  [Code.ResourceExhausted]: "Too many requests or over a quota",
  [Code.Unavailable]: "The service is unavailable",
  [Code.DeadlineExceeded]: "The service took too long",
  [Code.DataLoss]: "Stored data could not be read",
  [Code.Internal]: "The service failed",
  [Code.Canceled]: "Cancelled",
};

/** SCREAMING_SNAKE_CASE, as the service's documentation and REST errors spell codes. */
export function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export interface DescribedError {
  summary: string;
  code: string;
  message: string;
}

/** What went wrong in plain words, the code by its name, and the service's own message. */
export function describeError(err: unknown): DescribedError {
  const e = ConnectError.from(err);
  return { summary: PLAIN_WORDS[e.code] ?? "The call failed", code: codeName(e.code), message: e.rawMessage };
}
