import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type DescMethodUnary, type DescService, create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type Interceptor, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import type { Admission } from "./admission.js";

type UnaryImpl = (request: unknown, context: HandlerContext) => unknown;

export interface GrpcFastPathOptions {
  /** The services and the very handler implementations Connect serves. */
  services: Array<{ service: DescService; impl: object }>;
  /** The same interceptors as the Connect router (errors, logging). */
  interceptors: Interceptor[];
  /** The same admission as every other path: in-flight cap, authentication and per-principal limits, before the body is read. */
  admission: Admission;
  contextValues: (req: Http2ServerRequest) => ContextValues;
  readMaxBytes: number;
}

// A call without a grpc-timeout shares this signal: unary calls here are short and run to completion.
const NEVER_ABORTED = new AbortController().signal;
const GRPC_CONTENT_TYPE = /^application\/grpc(\+proto)?$/;
// gRPC over HTTP/2: at most 8 digits and a unit (Hours, Minutes, Seconds, milli, micro, nano).
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };
type Entry = { method: DescMethodUnary; call: (req: UnaryRequest) => Promise<UnaryResponse> };
type Deadline = { signal: AbortSignal; clear(): void };
/** What a call's handler context reports as its remaining time, by the call's signal. */
const deadlines = new WeakMap<AbortSignal, { remaining(): number }>();

/**
 * The call's deadline from its grpc-timeout header: when it passes, the call
 * is answered DEADLINE_EXCEEDED and its signal aborts, so that the client is
 * not kept waiting on a database that hangs. Undefined without the header;
 * a ConnectError when the header is malformed.
 */
function deadlineOf(header: string | undefined, res: Http2ServerResponse): Deadline | ConnectError | undefined {
  if (header === undefined) return undefined;
  const m = GRPC_TIMEOUT.exec(header);
  if (!m) return new ConnectError("grpc-timeout must be 1 to 8 digits and a unit (H, M, S, m, u, n)", Code.InvalidArgument);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  const controller = new AbortController();
  const end = performance.now() + ms;
  deadlines.set(controller.signal, { remaining: () => Math.max(0, end - performance.now()) });
  const expire = () => {
    fail(res, new ConnectError("the call's deadline passed before it finished", Code.DeadlineExceeded));
    controller.abort(new ConnectError("deadline exceeded", Code.DeadlineExceeded));
  };
  // Beyond setTimeout's range (about 24.8 days) a deadline cannot pass during a unary call.
  const timer = ms < 2 ** 31 - 1 ? setTimeout(expire, ms) : undefined;
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Unary gRPC calls served straight off Node's HTTP/2 stream: parse the
 * length-prefixed message, run the shared interceptor chain and handler,
 * write the reply and the grpc-status trailer. It skips connect-node's
 * general machinery (per-call abort signals, async-iterable plumbing,
 * protocol negotiation), which costs several times the handler itself on the
 * hot path other services use. Streaming RPCs, compressed messages, and
 * Connect and gRPC-Web traffic stay on connect-node.
 */
export function createGrpcFastPath(options: GrpcFastPathOptions) {
  const calls = new Map<string, Entry>();
  for (const { service, impl } of options.services) {
    for (const m of service.methods) {
      const fn = (impl as Record<string, UnaryImpl | undefined>)[m.localName];
      if (m.methodKind !== "unary" || !fn) continue;
      const method = m as DescMethodUnary;
      const invoke = async (req: UnaryRequest): Promise<UnaryResponse> => {
        const context: HandlerContext = {
          method,
          service,
          signal: req.signal,
          timeoutMs: () => deadlines.get(req.signal)?.remaining(),
          requestMethod: "POST",
          requestHeader: req.header,
          responseHeader: new Headers(),
          responseTrailer: new Headers(),
          protocolName: "grpc",
          values: req.contextValues,
          url: req.url,
        };
        const out = await fn.call(impl, req.message, context);
        const message = isMessage(out, method.output) ? out : create(method.output, out as never);
        return { stream: false, service, method, header: context.responseHeader, trailer: context.responseTrailer, message };
      };
      const call = options.interceptors.reduceRight<(req: UnaryRequest) => Promise<UnaryResponse>>(
        (next, interceptor) => interceptor(next as never) as never,
        invoke,
      );
      calls.set(`/${service.typeName}/${method.name}`, { method, call });
    }
  }

  /** Serves the request and returns true, or returns false to leave it to connect-node. */
  return function handle(req: Http2ServerRequest, res: Http2ServerResponse): boolean {
    const entry = calls.get(req.url);
    const contentType = req.headers["content-type"];
    if (!entry || !contentType || !GRPC_CONTENT_TYPE.test(contentType) || req.headers["grpc-encoding"]) return false;
    const deadline = deadlineOf(req.headers["grpc-timeout"] as string | undefined, res);
    if (deadline instanceof ConnectError) {
      fail(res, deadline);
      return true;
    }
    const values = options.contextValues(req);
    // Until admitted, the body stays unread in the stream (HTTP/2 flow control holds the rest back).
    void options.admission.admit(entry.method, req.headers.authorization, values).then((admitted) => {
      if (!admitted.admitted || res.headersSent || res.stream.closed) {
        // Refused, or over meanwhile (its deadline passed, the client went away): the body is dropped as it comes, never buffered.
        deadline?.clear();
        if (admitted.admitted) admitted.release();
        else fail(res, admitted.error);
        req.resume();
        return;
      }
      serve(req, res, entry, values, deadline, admitted.release);
    });
    return true;
  };

  /** Reads the message and runs the call; `release` gives back its in-flight slot. */
  function serve(req: Http2ServerRequest, res: Http2ServerResponse, entry: Entry, values: ContextValues, deadline: Deadline | undefined, release: () => void): void {
    // The slot is held while the handler runs, even past an answered deadline; a call whose body never completes lets go when its stream closes.
    let running = false;
    res.once("close", () => {
      deadline?.clear();
      if (!running) release();
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.readMaxBytes + 5 && !refused) {
        refused = true;
        fail(res, new ConnectError(`message larger than ${options.readMaxBytes} bytes`, Code.ResourceExhausted));
      } else if (!refused) chunks.push(chunk);
    });
    req.on("end", () => {
      if (refused) return;
      let message;
      try {
        message = fromBinary(entry.method.input, unframe(Buffer.concat(chunks)));
      } catch (err) {
        fail(res, err instanceof ConnectError ? err : new ConnectError("the request message cannot be parsed", Code.InvalidArgument));
        return;
      }
      const header = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (!name.startsWith(":") && typeof value === "string") header.set(name, value);
      running = true;
      entry
        .call({
          stream: false,
          service: entry.method.parent,
          method: entry.method,
          requestMethod: "POST",
          url: req.url,
          signal: deadline?.signal ?? NEVER_ABORTED,
          header,
          contextValues: values,
          message,
        } as UnaryRequest)
        .then(
          (out) => reply(res, toBinary(entry.method.output, out.message), out.header, out.trailer),
          (err: unknown) => fail(res, ConnectError.from(err)),
        )
        .finally(release);
    });
    req.on("error", () => res.destroy());
  }
}

/** The one length-prefixed message of a unary call. */
function unframe(body: Buffer): Uint8Array {
  if (body.length < 5) throw new ConnectError("the request is not one length-prefixed gRPC message", Code.InvalidArgument);
  if (body[0] !== 0) throw new ConnectError("compressed messages are not accepted here", Code.Unimplemented);
  const length = body.readUInt32BE(1);
  if (length !== body.length - 5) throw new ConnectError("the request is not one length-prefixed gRPC message", Code.InvalidArgument);
  return body.subarray(5);
}

function reply(res: Http2ServerResponse, payload: Uint8Array, header: Headers, trailer: Headers): void {
  // Already answered: the deadline passed first, or the client went away.
  if (res.closed || res.destroyed || res.headersSent) return;
  const frame = Buffer.allocUnsafe(5 + payload.length);
  frame[0] = 0;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  res.writeHead(200, { ...record(header), "content-type": "application/grpc+proto" });
  res.addTrailers({ ...record(trailer), "grpc-status": "0" });
  res.end(frame);
}

/** An error: the status, its message and the error's metadata, as trailers. */
function fail(res: Http2ServerResponse, err: ConnectError): void {
  if (res.closed || res.destroyed || res.headersSent || res.stream.closed) return;
  // "Trailers-only": one HEADERS frame that ends the stream, through the stream itself (the compat API cannot end a stream on its first HEADERS).
  res.stream.respond(
    { ":status": 200, "content-type": "application/grpc+proto", ...record(err.metadata), "grpc-status": String(err.code), "grpc-message": encodeURIComponent(err.rawMessage) },
    { endStream: true },
  );
}

function record(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
