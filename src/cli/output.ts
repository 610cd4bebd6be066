import { type DescMessage, type MessageShape, ScalarType, toJson } from "@bufbuild/protobuf";
import { Option } from "commander";

export type OutputFormat = "table" | "json";

export const outputOption = () => new Option("-o, --output <format>", "table (for people) or json (for scripts)").choices(["table", "json"]).default("table");

/**
 * What the two formats promise, said once for --help and the README: JSON is
 * the API's own (proto field names, every field present, times in epoch
 * milliseconds as strings, as REST answers); tables show times in UTC.
 */
export const OUTPUT_HELP = `
Output (-o): table shows times as "YYYY-MM-DD HH:MM:SS UTC"; json is the shape the REST API answers (snake_case names, false and empty fields included, times as epoch milliseconds in strings).`;

type Row = Record<string, unknown>;

/** Rows as an aligned table, or a JSON array. */
export function printRows(records: readonly object[], format: OutputFormat, columns?: string[]): void {
  const rows = records as Row[];
  if (format === "json") {
    write(JSON.stringify(rows, jsonSafe, 2));
    return;
  }
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  write([line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join("\n"));
}

/** One object: a field-per-line listing, or JSON. */
export function printObject(obj: object, format: OutputFormat): void {
  if (format === "json") {
    write(JSON.stringify(obj, jsonSafe, 2));
    return;
  }
  const entries = Object.entries(obj as Row);
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  write(entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`.trimEnd()).join("\n"));
}

/** One JSON document per line, for streams a script reads as they come (audit). */
export function printJsonLine(obj: object): void {
  write(JSON.stringify(obj, jsonSafe));
}

/** An API message as the CLI shows it: the REST JSON for -o json; with real times for tables. */
export function messageRecord<D extends DescMessage>(schema: D, message: MessageShape<D>, format: OutputFormat): Row {
  const json = toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true }) as Row;
  return format === "json" ? json : withDates(schema, json);
}

export function printMessage<D extends DescMessage>(schema: D, message: MessageShape<D>, format: OutputFormat): void {
  printObject(messageRecord(schema, message, format), format);
}

export function printMessages<D extends DescMessage>(schema: D, messages: readonly MessageShape<D>[], format: OutputFormat, columns?: string[]): void {
  printRows(
    messages.map((m) => messageRecord(schema, m, format)),
    format,
    columns,
  );
}

/** Times in the contract are int64 milliseconds named `time` or `…_at`; 0 means "never". */
function withDates(schema: DescMessage, json: Row): Row {
  const out: Row = { ...json };
  for (const field of schema.fields) {
    const v = out[field.name];
    if (field.fieldKind === "scalar" && field.scalar === ScalarType.INT64 && (field.name === "time" || field.name.endsWith("_at"))) {
      out[field.name] = v === undefined || v === "0" ? undefined : new Date(Number(v));
    } else if (field.fieldKind === "message" && v && typeof v === "object") {
      out[field.name] = withDates(field.message, v as Row);
    } else if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(v)) {
      out[field.name] = v.map((item) => withDates(field.message, item as Row));
    }
  }
  return out;
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (v instanceof Date) return humanTime(v);
  if (Array.isArray(v)) return v.map(cell).join("; ");
  if (typeof v === "object") {
    return Object.entries(v)
      .map(([k, x]) => `${k}=${cell(x)}`)
      .join(" ");
  }
  return String(v);
}

function humanTime(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

// What the CLI reads from the database itself gets the API's JSON form: epoch milliseconds as strings.
// The replacer sees a Date already turned into ISO text by its toJSON, so it looks at the holder's own field.
function jsonSafe(this: Row, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return String(raw.getTime());
  if (typeof value === "bigint") return value.toString();
  return value;
}

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}
