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
    expect(read.secret.masked_value).toBe("sk-...0000");
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
