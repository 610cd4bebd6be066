import https from "node:https";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { type TestServer, startTestServer } from "./support/server.js";
import { type TestPki, makeTestPki } from "./support/tls.js";

const PROTO_DIR = fileURLToPath(new URL("../proto", import.meta.url));

describe("TLS with client certificates on the one port", () => {
  let pki: TestPki;
  let t: TestServer;
  let url: string;
  beforeAll(async () => {
    pki = await makeTestPki();
    t = await startTestServer({ env: { SECRETS_TLS_CERT: pki.serverCertPath, SECRETS_TLS_KEY: pki.serverKeyPath, SECRETS_TLS_CLIENT_CA: pki.caCertPath } });
    url = `https://127.0.0.1:${t.port}`;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const grpcClient = (creds: grpc.ChannelCredentials) => {
    const def = protoLoader.loadSync("secrets/v1/service.proto", { includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: String, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { secrets: { v1: { SecretsService: grpc.ServiceClientConstructor } } };
    return new pkg.secrets.v1.SecretsService(`127.0.0.1:${t.port}`, creds);
  };
  const call = (client: grpc.Client, method: string, req: object) => {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${t.adminToken}`);
    const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
    return promisify<object, grpc.Metadata, Record<string, any>>((r, m, cb) => fn(r, m, { deadline: Date.now() + 5_000 }, cb))(req, md);
  };

  it("stock grpc-js with a client certificate creates and reads a secret", async () => {
    const client = grpcClient(grpc.credentials.createSsl(pki.caCert, pki.clientKey, pki.clientCert));
    const created = await call(client, "CreateSecret", { secret_name: "over-mtls", secret_value: "sk-over-mtls-00000000", field_name: "K" });
    const read = await call(client, "GetSecret", { secret_id: created.secret.secret_id });
    expect(read.secret.masked_value).toBe("sk...000");
    client.close();
  });

  it.each([
    ["no client certificate", () => grpc.credentials.createSsl(pki.caCert)],
    ["a certificate from an untrusted CA", () => grpc.credentials.createSsl(pki.caCert, pki.strangerKey, pki.strangerCert)],
  ])("refuses a client with %s", async (_what, creds) => {
    const client = grpcClient(creds());
    const err = await call(client, "ListSecrets", {}).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    client.close();
  });

  it("serves Connect over HTTP/1.1 and gRPC over HTTP/2 on the same TLS port (ALPN)", async () => {
    const nodeOptions = { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey };
    const headers = { authorization: `Bearer ${t.adminToken}` };
    const h1 = createClient(SecretsService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", nodeOptions }));
    const h2 = createClient(SecretsService, createGrpcTransport({ baseUrl: url, nodeOptions }));
    expect((await h1.getSecret({ secretName: "over-mtls" }, { headers })).secret?.secretName).toBe("over-mtls");
    expect((await h2.getSecret({ secretName: "over-mtls" }, { headers })).secret?.secretName).toBe("over-mtls");
  });

  it("a slow HTTP/1.1 client over TLS is cut at the headers timeout, and idle keep-alive clients do not hold up shutdown", async () => {
    const own = await startTestServer({
      env: { SECRETS_TLS_CERT: pki.serverCertPath, SECRETS_TLS_KEY: pki.serverKeyPath, SECRETS_HEADERS_TIMEOUT_MS: "2000", SECRETS_SHUTDOWN_GRACE_MS: "30000" },
    });
    try {
      const tlsOptions = { host: "127.0.0.1", port: own.port, ca: pki.caCert, servername: "localhost", ALPNProtocols: ["http/1.1"] };
      const slow = tls.connect(tlsOptions);
      slow.on("error", () => {});
      await new Promise((resolve) => slow.once("secureConnect", resolve));
      const started = performance.now();
      slow.write("POST /api/2.0/mlflow/secrets/create HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      const trickle = setInterval(() => slow.writable && slow.write("a"), 200);
      await new Promise((resolve) => slow.once("close", resolve));
      clearInterval(trickle);
      expect(performance.now() - started).toBeLessThan(6_000);

      // Leaves an idle HTTP/1.1 keep-alive connection behind.
      const agent = new https.Agent({ keepAlive: true, ca: pki.caCert, servername: "localhost" });
      const status = await new Promise<number>((resolve, reject) =>
        https
          .request({ host: "127.0.0.1", port: own.port, method: "POST", path: "/grpc.health.v1.Health/Check", headers: { "content-type": "application/json" }, agent }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          })
          .on("error", reject)
          .end("{}"),
      );
      expect(status).toBe(200);
      const stopping = performance.now();
      await own.server.close();
      expect(performance.now() - stopping).toBeLessThan(5_000);
      agent.destroy();
    } finally {
      await own.stop();
    }
  }, 60_000);

  it("does not speak cleartext on a TLS port", async () => {
    const plain = createClient(SecretsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${t.port}` }));
    const outcome = await plain.listSecrets({}, { timeoutMs: 3_000 }).then(
      () => "answered",
      (e: unknown) => ConnectError.from(e).code,
    );
    expect(outcome).not.toBe("answered");
    expect(outcome).not.toBe(Code.Unauthenticated);
  });
});
