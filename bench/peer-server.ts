// A plain @grpc/grpc-js server with an empty unary handler: what a team would get without Connect.
import * as grpc from "@grpc/grpc-js";

const server = new grpc.Server();
const empty = Buffer.alloc(0);
server.addService(
  {
    check: {
      path: "/grpc.health.v1.Health/Check",
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  },
  { check: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, empty) },
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
