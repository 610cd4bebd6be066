import http from "node:http";
import { type DescMethodUnary, type MessageInitShape, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/** Makes a caller of one unary method, over some protocol, with an optional bearer token. */
export type Unary = <M extends DescMethodUnary>(method: M, token?: string) => (request: MessageInitShape<M["input"]>) => Promise<unknown>;

/**
 * Stock grpc-js channels: what another service would use. Each has its own
 * connection (a local subchannel pool), so that with SECRETS_WORKERS the
 * connections spread over the workers as they would from several clients.
 */
export function grpcChannels(port: number, count: number): grpc.Client[] {
  return Array.from({ length: count }, () => new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));
}

/** Unary calls over gRPC, (de)serialized with the generated descriptors; calls rotate over the channels. */
export function grpcUnary(channels: grpc.Client[]): Unary {
  let next = 0;
  return (method, token) => {
    const path = `/${method.parent.typeName}/${method.name}`;
    const serialize = (m: MessageInitShape<typeof method.input>) => Buffer.from(toBinary(method.input, create(method.input, m)));
    const deserialize = (b: Buffer) => fromBinary(method.output, b);
    return (request) =>
      new Promise<unknown>((resolve, reject) => {
        const md = new grpc.Metadata();
        if (token) md.set("authorization", `Bearer ${token}`);
        channels[next++ % channels.length]!.makeUnaryRequest(path, serialize, deserialize, request, md, (err, res) => (err ? reject(err) : resolve(res)));
      });
  };
}

/** Unary calls as Connect JSON over HTTP/1.1 keep-alive, at most `sockets` connections. */
export function connectJsonUnary(port: number, sockets: number): Unary {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return (method, token) => {
    const path = `/${method.parent.typeName}/${method.name}`;
    return (request) =>
      new Promise<unknown>((resolve, reject) => {
        const payload = JSON.stringify(request, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
        const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...(token && { authorization: `Bearer ${token}` }) };
        const req = http.request({ host: "127.0.0.1", port, path, method: "POST", agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`))));
        });
        req.on("error", reject);
        req.end(payload);
      });
  };
}
