import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

/** connect-node's words for a request message it cannot decode (reported as INTERNAL). */
const PARSE_FAILURE = /^(parse binary|cannot decode|parse json|unexpected EOF|premature end)/i;

/**
 * connect-node answers a request message that does not decode with INTERNAL,
 * before any interceptor runs. That is the caller's error, not ours: this
 * turns it into INVALID_ARGUMENT for the Connect (HTTP 400) and gRPC-Web
 * (status header) protocols. The unary gRPC fast path decodes itself and
 * already answers INVALID_ARGUMENT.
 */
export async function invalidArgumentForParseFailures(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const grpcStatus = res.header?.get("grpc-status");
  if (grpcStatus === "13" && PARSE_FAILURE.test(decodeURIComponent(res.header?.get("grpc-message") ?? ""))) {
    res.header!.set("grpc-status", "3");
    return res;
  }
  if (res.status !== 500 || !res.body || !res.header?.get("content-type")?.startsWith("application/json")) return res;
  const chunks: Uint8Array[] = [];
  for await (const c of res.body) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  let body: { code?: string; message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not Connect's error shape: left as it is
  }
  const rewrite = body.code === "internal" && PARSE_FAILURE.test(body.message ?? "");
  const out = rewrite ? JSON.stringify({ code: "invalid_argument", message: "the request message cannot be decoded" }) : text;
  res.header.delete("content-length");
  return { ...res, status: rewrite ? 400 : res.status, body: (async function* () { yield Buffer.from(out); })() };
}
