/**
 * Classifies driver errors (postgres.js and PGlite, possibly wrapped by
 * drizzle's DrizzleQueryError) without letting their text travel further.
 */

/** A transaction's COMMIT was answered ROLLBACK: a statement in it had failed, so nothing of it was kept. */
export class TransactionRolledBackError extends Error {
  override name = "TransactionRolledBackError";
  /** PostgreSQL's in_failed_sql_transaction, as PGlite's own transaction reports it. */
  readonly code = "25P02";
  constructor() {
    super("the transaction was rolled back: a statement in it failed");
  }
}

/** The database cannot be reached or refuses work for now; callers see UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  constructor(options?: { cause?: unknown }) {
    super("the database is unavailable", options);
  }
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

interface DriverError {
  code?: string;
  constraint_name?: string;
  constraint?: string;
}

function* causes(err: unknown): Generator<DriverError> {
  let cur: unknown = err;
  for (let depth = 0; cur && typeof cur === "object" && depth < 8; depth++) {
    yield cur as DriverError;
    cur = (cur as { cause?: unknown }).cause;
  }
}

function sqlState(err: unknown): string | undefined {
  for (const e of causes(err)) if (typeof e.code === "string") return e.code;
  return undefined;
}

export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const code = sqlState(err);
  if (!code) return false;
  // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now; 53300: too many connections.
  return CONNECTION_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code) || code === "53300";
}

/** The name of the unique constraint a statement violated, if that is what failed. */
export function uniqueViolation(err: unknown): string | undefined {
  for (const e of causes(err)) {
    if (e.code === "23505") return e.constraint_name ?? e.constraint ?? "";
  }
  return undefined;
}

/** A serialization failure or deadlock: the transaction may simply be retried. */
export function isRetryable(err: unknown): boolean {
  const code = sqlState(err);
  return code === "40001" || code === "40P01";
}
