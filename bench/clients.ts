import http from "node:http";
import { type DescMethodUnary, type MessageInitShape, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/**
 * Stock grpc-js channels: what another service would use. Each has its own
 * connection (a local subchannel pool), so that with SECRETS_WORKERS the
 * connections spread over the workers as they would from several clients.
 */
export function grpcChannels(port: number, count: number): grpc.Client[] {
  return Array.from({ length: count }, () => new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));
}

/** One unary call over gRPC, (de)serialized with the generated descriptors; calls rotate over the channels. */
export function grpcUnary<I extends DescMethodUnary>(channels: grpc.Client[], method: I, token?: string) {
  let next = 0;
  const path = `/${method.parent.typeName}/${method.name}`;
  const serialize = (m: MessageInitShape<I["input"]>) => Buffer.from(toBinary(method.input, create(method.input, m)));
  const deserialize = (b: Buffer) => fromBinary(method.output, b);
  return (request: MessageInitShape<I["input"]>) =>
    new Promise<unknown>((resolve, reject) => {
      const md = new grpc.Metadata();
      if (token) md.set("authorization", `Bearer ${token}`);
      channels[next++ % channels.length]!.makeUnaryRequest(path, serialize, deserialize, request, md, (err, res) => (err ? reject(err) : resolve(res)));
    });
}

/** One unary call as Connect JSON over HTTP/1.1 keep-alive. */
export function connectJsonUnary(port: number, method: { parent: { typeName: string }; name: string }, token: string, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const path = `/${method.parent.typeName}/${method.name}`;
  return (body: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        { host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "content-length": Buffer.byteLength(payload) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`))));
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
}
