import { createHash } from "node:crypto";
import { invalid } from "./errors.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

/**
 * Opaque keyset tokens: the last id of the page, tied to the filter it was
 * issued for so that a token cannot be replayed against another query.
 */
export function readPage(req: PageRequest, filter: unknown): { after: string | undefined; limit: number } {
  if (req.pageSize < 0) throw invalid("page_size must not be negative");
  if (req.pageSize > MAX_PAGE_SIZE) throw invalid(`page_size must be at most ${MAX_PAGE_SIZE}`);
  const limit = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : req.pageSize;
  if (!req.pageToken) return { after: undefined, limit };
  let token: { a?: unknown; f?: unknown };
  try {
    token = JSON.parse(Buffer.from(req.pageToken, "base64url").toString("utf8"));
  } catch {
    throw invalid("page_token is malformed");
  }
  if (typeof token.a !== "string" || token.f !== filterKey(filter)) {
    throw invalid("page_token does not belong to this query (the filters changed?)");
  }
  return { after: token.a, limit };
}

/** Cuts the rows fetched with limit + 1 to a page, with the next token when more rows exist ("" on the last page). */
export function toPage<T extends { id: string }>(rows: T[], limit: number, filter: unknown): { items: T[]; nextPageToken: string } {
  if (rows.length <= limit) return { items: rows, nextPageToken: "" };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1]!;
  return { items, nextPageToken: Buffer.from(JSON.stringify({ a: last.id, f: filterKey(filter) })).toString("base64url") };
}

function filterKey(filter: unknown): string {
  return createHash("sha256").update(JSON.stringify(filter ?? null)).digest("base64url").slice(0, 16);
}
