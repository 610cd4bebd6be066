import pino, { type Logger } from "pino";

/**
 * Log lines never carry payloads, but redaction is the second line of
 * defence should a value or credential ever be attached to one.
 */
export const REDACT_PATHS = [
  "authorization",
  "token",
  "secret_value",
  "secretValue",
  "secret_fields",
  "secretFields",
  "value",
  "fields",
  "passphrase",
  "*.authorization",
  "*.token",
  "*.secret_value",
  "*.secretValue",
  "*.secret_fields",
  "*.secretFields",
  "*.value",
  "*.fields",
  "*.passphrase",
  "headers.authorization",
  "*.headers.authorization",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { service: "secrets", pid: process.pid } }, destination);
}

/** SQLSTATE class 22, data exception: PostgreSQL's message quotes the input it refused (`invalid input syntax for type uuid: "…"`). */
const DATA_EXCEPTION = /^22[0-9A-Z]{3}$/;

/**
 * An error for a log line: its name and the first line of its message. A
 * failed drizzle query appends its parameters on the lines after, and those
 * may hold anything a caller sent; a driver's data exception is named by its
 * code alone.
 */
export function errorSummary(err: unknown): { name: string; message: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && DATA_EXCEPTION.test(code)) return { name: e.name, message: `data exception (SQLSTATE ${code})` };
  return { name: e.name, message: e.message.split("\n", 1)[0]! };
}
