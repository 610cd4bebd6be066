import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type DescMessage, type JsonObject, type JsonValue, ScalarType, fromJson, toJson } from "@bufbuild/protobuf";
import type { ContextValues } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Admission, Refusal } from "./admission.js";
import { UnknownEnumValueError, acceptBareEnumNames, bareEnumNames } from "./enum-spellings.js";
import type { RestRoute } from "./rest-routes.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** Calls the RPC as a Connect JSON unary call, through the same interceptors as every other protocol, with the admitted call's values. */
export type Dispatch = (route: RestRoute, request: JsonValue, req: Req, contextValues: ContextValues) => Promise<UniversalServerResponse>;

export interface RestGatewayOptions {
  routes: RestRoute[];
  dispatch: Dispatch;
  /** The same admission as every other path, before the body is read. */
  admission: Admission;
  contextValues: (req: Req) => ContextValues;
  /** Largest request body accepted, in bytes. */
  readMaxBytes: number;
}

/** MLflow's error codes and HTTP statuses, by Connect error code. */
const ERRORS: Record<string, [number, string]> = {
  invalid_argument: [400, "INVALID_PARAMETER_VALUE"],
  out_of_range: [400, "INVALID_PARAMETER_VALUE"],
  unauthenticated: [401, "UNAUTHENTICATED"],
  permission_denied: [403, "PERMISSION_DENIED"],
  not_found: [404, "RESOURCE_DOES_NOT_EXIST"],
  already_exists: [409, "RESOURCE_ALREADY_EXISTS"],
  aborted: [409, "ABORTED"],
  failed_precondition: [412, "INVALID_STATE"],
  resource_exhausted: [429, "REQUEST_LIMIT_EXCEEDED"],
  canceled: [499, "CANCELLED"],
  unimplemented: [501, "NOT_IMPLEMENTED"],
  unavailable: [503, "TEMPORARILY_UNAVAILABLE"],
  deadline_exceeded: [504, "DEADLINE_EXCEEDED"],
  data_loss: [500, "DATA_LOSS"],
  internal: [500, "INTERNAL_ERROR"],
  unknown: [500, "INTERNAL_ERROR"],
};

/**
 * JSON over HTTP in MLflow's dialect: snake_case field names (lowerCamelCase
 * accepted on input, unknown fields ignored), GET/DELETE fields as query
 * parameters, errors as {"error_code", "message"}. Returns false when no
 * route's path matches, so the caller can answer 404.
 */
export function createRestGateway(options: RestGatewayOptions) {
  const { routes, dispatch } = options;
  return async function handle(req: Req, res: Res): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway");
    const matching = routes.filter((r) => r.pattern.test(url.pathname));
    if (matching.length === 0) {
      return sendError(res, 404, "ENDPOINT_NOT_FOUND", `no endpoint ${url.pathname}`);
    }
    const route = matching.find((r) => r.verb === req.method);
    if (!route) {
      res.setHeader("allow", [...new Set(matching.map((r) => r.verb))].join(", "));
      return sendError(res, 405, "BAD_REQUEST", `method ${req.method} is not allowed on ${url.pathname}`);
    }
    const values = options.contextValues(req);
    const admitted = await options.admission.admit(route.method, req.headers.authorization, values);
    if (!admitted.admitted) {
      // The body is dropped as it comes, never read.
      req.resume();
      return sendRefusal(res, admitted);
    }
    try {
      let request: JsonObject;
      try {
        request = await buildRequest(route, url, req, options.readMaxBytes);
      } catch (err) {
        if (err instanceof RequestError) {
          // The rest of an oversized body is never read: the HTTP/1.1 connection cannot be reused.
          if (err.status === 413 && req.httpVersion !== "2.0") res.setHeader("connection", "close");
          return sendError(res, err.status, err.code, err.message);
        }
        throw err;
      }
      const answer = await dispatch(route, request, req, values);
      const body = answer.body ? await readAll(answer.body) : new Uint8Array();
      const parsed = body.length > 0 ? (JSON.parse(Buffer.from(body).toString("utf8")) as JsonObject) : {};
      if (answer.status !== 200) {
        const code = typeof parsed.code === "string" ? parsed.code : "unknown";
        return sendRpcError(res, code, typeof parsed.message === "string" ? parsed.message : code, answer.header?.get("retry-after"));
      }
      const output = fromJson(route.method.output, parsed, { ignoreUnknownFields: true });
      const json = toJson(route.method.output, output, { useProtoFieldName: true, alwaysEmitImplicit: true }) as JsonObject;
      if (route.mlflowEnums) bareEnumNames(route.method.output, json);
      send(res, 200, route.responseBody ? (json[route.responseBody] ?? {}) : json);
    } finally {
      admitted.release();
    }
  };
}

/** An RPC error by its Connect code, in MLflow's shape, with its retry-after when it has one. */
function sendRpcError(res: Res, code: string, message: string, retryAfter: string | null | undefined): void {
  const [status, errorCode] = ERRORS[code] ?? ERRORS.unknown!;
  if (retryAfter) res.setHeader("retry-after", retryAfter);
  sendError(res, status, errorCode, message);
}

/**
 * A call admission refused: by its code (401, 429 for a principal's limits),
 * except that a call shed because the whole process is at its limit is 503,
 * which load balancers and HTTP clients read as "try elsewhere or later".
 */
function sendRefusal(res: Res, refusal: Refusal): void {
  const retryAfter = refusal.error.metadata.get("retry-after");
  if (!refusal.overloaded) return sendRpcError(res, codeToString(refusal.error.code), refusal.error.rawMessage, retryAfter);
  if (retryAfter) res.setHeader("retry-after", retryAfter);
  sendError(res, 503, "TEMPORARILY_UNAVAILABLE", refusal.error.rawMessage);
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function buildRequest(route: RestRoute, url: URL, req: Req, readMaxBytes: number): Promise<JsonObject> {
  const input = route.method.input;
  const request = queryToJson(input, url.searchParams);
  const raw = await readBody(req, readMaxBytes);
  if (raw.length > 0) {
    let body: JsonValue;
    try {
      body = JSON.parse(raw.toString("utf8")) as JsonValue;
    } catch {
      throw new RequestError(400, "MALFORMED_REQUEST", "the request body is not valid JSON");
    }
    if (route.body === "*" || (route.body === "" && req.method === "DELETE")) {
      // MLflow's clients send DELETE parameters as a JSON body.
      if (!isObject(body)) throw new RequestError(400, "MALFORMED_REQUEST", "the request body must be a JSON object");
      Object.assign(request, body);
    } else if (route.body) {
      request[route.body] = body;
    } else {
      throw new RequestError(400, "MALFORMED_REQUEST", `${req.method} ${url.pathname} takes its fields as query parameters, not a body`);
    }
  }
  const captured = route.pattern.exec(url.pathname)!;
  route.variables.forEach((path, i) => setField(input, request, path, [decodeURIComponent(captured[i + 1]!)]));
  try {
    acceptBareEnumNames(input, request);
  } catch (err) {
    if (err instanceof UnknownEnumValueError) throw new RequestError(400, "INVALID_PARAMETER_VALUE", err.message);
    throw err;
  }
  let message;
  try {
    message = fromJson(input, request, { ignoreUnknownFields: true });
  } catch (err) {
    // protobuf-es quotes the offending value; the caller is told only the field.
    const field = /field ([\w.]+)/.exec((err as Error).message)?.[1];
    throw new RequestError(400, "INVALID_PARAMETER_VALUE", field ? `${field} has the wrong type` : `the request does not match ${input.typeName}`);
  }
  // Canonical JSON: unknown fields dropped, so the RPC handler sees exactly what the contract allows.
  return toJson(input, message) as JsonObject;
}

/**
 * Query parameters as proto3 JSON for a message: `a.b=1` sets a nested field,
 * a repeated key fills a repeated field, unknown names are ignored.
 */
export function queryToJson(message: DescMessage, params: URLSearchParams): JsonObject {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  const out: JsonObject = {};
  for (const [key, values] of grouped) setField(message, out, key.split("."), values);
  return out;
}

/** Sets a (possibly nested) field from query-parameter strings, converted to what proto3 JSON expects. */
function setField(message: DescMessage, target: JsonObject, path: string[], values: string[]): void {
  const [name, ...rest] = path;
  const field = message.fields.find((f) => f.name === name || f.jsonName === name);
  if (!field) return;
  if (rest.length > 0) {
    if (field.fieldKind !== "message") throw new RequestError(400, "INVALID_PARAMETER_VALUE", `${field.name} has no field ${rest.join(".")}`);
    const child = (isObject(target[field.name]) ? target[field.name] : {}) as JsonObject;
    target[field.name] = child;
    setField(field.message, child, rest, values);
    return;
  }
  const scalar = (v: string): JsonValue => {
    if ((field.fieldKind === "scalar" || field.fieldKind === "list") && field.scalar === ScalarType.BOOL) {
      if (v === "true" || v === "1") return true;
      if (v === "false" || v === "0") return false;
      throw new RequestError(400, "INVALID_PARAMETER_VALUE", `${field.name} must be true or false`);
    }
    return v;
  };
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      target[field.name] = scalar(values[values.length - 1]!);
      return;
    case "list":
      target[field.name] = values.map(scalar);
      return;
    default:
      throw new RequestError(400, "INVALID_PARAMETER_VALUE", `${field.name} cannot be given as a query parameter`);
  }
}

async function readBody(req: Req, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RequestError(413, "REQUEST_LIMIT_EXCEEDED", `the request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

function send(res: Res, status: number, body: JsonValue): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: Res, status: number, errorCode: string, message: string): void {
  send(res, status, { error_code: errorCode, message });
}
