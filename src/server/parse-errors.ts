import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

/** connect-node's words for a request message it cannot decode. */
const PARSE_FAILURE = /^(parse binary|cannot decode|parse json|unexpected EOF|premature end)/i;

/**
 * connect-node answers a request message that does not decode before any
 * interceptor runs: binary ones as INTERNAL, and JSON ones with a message that
 * quotes the offending value, which may be a secret. This makes both an
 * INVALID_ARGUMENT that names at most the field, for the Connect (HTTP 400)
 * and gRPC-Web (status header) protocols. The unary gRPC fast path decodes
 * itself and already answers this way.
 */
export async function invalidArgumentForParseFailures(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const grpcMessage = decodeURIComponent(res.header?.get("grpc-message") ?? "");
  if ((res.header?.get("grpc-status") === "13" || res.header?.get("grpc-status") === "3") && PARSE_FAILURE.test(grpcMessage)) {
    res.header!.set("grpc-status", "3");
    res.header!.set("grpc-message", encodeURIComponent(safeMessage(grpcMessage)));
    return res;
  }
  if ((res.status !== 500 && res.status !== 400) || !res.body || !res.header?.get("content-type")?.startsWith("application/json")) return res;
  const chunks: Uint8Array[] = [];
  for await (const c of res.body) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  let body: { code?: string; message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not Connect's error shape: left as it is
  }
  const rewrite = (body.code === "internal" || body.code === "invalid_argument") && PARSE_FAILURE.test(body.message ?? "");
  const out = rewrite ? JSON.stringify({ code: "invalid_argument", message: safeMessage(body.message!) }) : text;
  res.header.delete("content-length");
  return { ...res, status: rewrite ? 400 : res.status, body: (async function* () { yield Buffer.from(out); })() };
}

function safeMessage(decoderMessage: string): string {
  const field = /field ([\w.]+)/.exec(decoderMessage)?.[1];
  return field ? `${field} has the wrong type` : "the request message cannot be decoded";
}
