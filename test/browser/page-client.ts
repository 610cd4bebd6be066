/// <reference lib="dom" />
// Runs in the browser page: bundled by the test with esbuild, talks to the service cross-origin.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { SecretsService } from "../../gen/secrets/v1/service_pb.js";

declare global {
  interface Window {
    SECRETS_URL: string;
    SECRETS_TOKEN: string;
    SECRET_NAME: string;
    result?: { ok: true; created: string; listed: string[]; fetched: string } | { ok: false; error: string };
  }
}

async function run() {
  const headers = { authorization: `Bearer ${window.SECRETS_TOKEN}` };
  const connect = createClient(SecretsService, createConnectTransport({ baseUrl: window.SECRETS_URL, useHttpGet: true }));
  const grpcWeb = createClient(SecretsService, createGrpcWebTransport({ baseUrl: window.SECRETS_URL }));
  const { secret } = await connect.createSecret({ secretName: window.SECRET_NAME, secretValue: "sk-from-the-browser-0001", fieldName: "OPENAI_API_KEY", isShared: true }, { headers });
  const { secrets } = await grpcWeb.listSecrets({ isShared: true }, { headers });
  const fetched = await connect.getSecret({ secretId: secret!.secretId }, { headers });
  return { ok: true as const, created: secret!.secretId, listed: secrets.map((s) => s.secretName), fetched: fetched.secret!.maskedValue };
}

run().then(
  (r) => (window.result = r),
  (e: unknown) => (window.result = { ok: false, error: String(e) }),
);
