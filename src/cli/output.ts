import { Option } from "commander";

export type OutputFormat = "table" | "json";

/** Prints rows as an aligned table (for people) or JSON (for scripts). */
export function printRows(records: readonly object[], format: OutputFormat, columns?: string[]): void {
  const rows = records as Array<Record<string, unknown>>;
  if (format === "json") {
    process.stdout.write(`${JSON.stringify(rows, jsonSafe, 2)}\n`);
    return;
  }
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) =>
    v === undefined || v === null ? "" : v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v, jsonSafe) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  process.stdout.write(`${[line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join("\n")}\n`);
}

export function printObject(obj: object, format: OutputFormat): void {
  if (format === "json") process.stdout.write(`${JSON.stringify(obj, jsonSafe, 2)}\n`);
  else printRows([obj], "table");
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

export const outputOption = () => new Option("-o, --output <format>", "table or json").choices(["table", "json"]).default("table");
