import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, type Interceptor, type Transport, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import pRetry from "p-retry";
import { type ResolvedSecret, SecretsService } from "../../gen/secrets/v1/service_pb.js";
import { type EnvVariable, toEnvVariables } from "./env-mapping.js";

export { ENV_NAME, EnvMappingError, type EnvMappingProblem, type EnvVariable } from "./env-mapping.js";

export interface SecretsClientOptions {
  /** `host:port` (plain HTTP, as in SECRETS_ADDR) or an `http://` / `https://` URL. */
  address: string;
  /** API token or JWT, sent as `authorization: Bearer …` on every call. */
  token: string;
  /** `"connect"` (default): Connect JSON over HTTP/1.1, which any proxy passes. `"grpc"`: gRPC over HTTP/2. */
  protocol?: "connect" | "grpc";
  /** How many times a call that is safe to repeat is retried after UNAVAILABLE. Default 4. */
  retries?: number;
  /** Delay before the first retry in ms; each next one doubles, with jitter, up to 2 s. Default 250. */
  retryDelayMs?: number;
}

export interface ResolveEnvOptions {
  /** Only these bindings (one call each). Default: every binding of the resource. */
  fieldNames?: readonly string[];
  /** Put in front of every variable name. */
  prefix?: string;
}

export interface EnvResolver {
  /**
   * The environment `secretsctl run` gives its command: variable name →
   * value, by the rule in env-mapping.ts. Throws EnvMappingError when the
   * bindings cannot make one, and the call's ConnectError otherwise (e.g.
   * FAILED_PRECONDITION for a revoked secret).
   */
  resolveEnv(resourceType: string, resourceId: string, options?: ResolveEnvOptions): Promise<Record<string, string>>;
  /** The same variables with the binding, secret and version each comes from. */
  resolveVariables(resourceType: string, resourceId: string, options?: ResolveEnvOptions): Promise<EnvVariable[]>;
}

export type SecretsClient = Client<typeof SecretsService> & EnvResolver;

/** A transport to the service, authenticated and retrying what is safe to retry: for a client of any of its services. */
export function createServiceTransport(options: SecretsClientOptions): Transport {
  const transportOptions = {
    baseUrl: serverUrl(options.address),
    interceptors: [bearer(options.token), retryUnavailable(options.retries ?? 4, options.retryDelayMs ?? 250)],
  };
  return options.protocol === "grpc" ? createGrpcTransport(transportOptions) : createConnectTransport({ ...transportOptions, httpVersion: "1.1" });
}

/** The generated SecretsService client, authenticated, retrying what is safe to retry, plus resolveEnv. */
export function createSecretsClient(options: SecretsClientOptions): SecretsClient {
  const client = createClient(SecretsService, createServiceTransport(options));

  const resolveVariables: EnvResolver["resolveVariables"] = async (resourceType, resourceId, opts = {}) => {
    const fields = [...new Set(opts.fieldNames ?? [])];
    const resolved: ResolvedSecret[] = [];
    if (fields.length === 0) resolved.push(...(await client.resolveResourceSecrets({ resourceType, resourceId })).secrets);
    // One call per field, because a revoked secret bound under another field fails an unfiltered resolve of the
    // whole resource; in turn, so that the first refusal in the order given is the one reported.
    for (const fieldName of fields) resolved.push(...(await client.resolveResourceSecrets({ resourceType, resourceId, fieldName })).secrets);
    return toEnvVariables(resolved, { prefix: opts.prefix, resource: `${resourceType}/${resourceId}` });
  };
  const resolveEnv: EnvResolver["resolveEnv"] = async (...args) => Object.fromEntries((await resolveVariables(...args)).map((v) => [v.name, v.value]));
  return Object.assign(client, { resolveEnv, resolveVariables });
}

/**
 * The base URL for an address: `host:port` means plain HTTP to it, and the
 * unspecified addresses a server listens on (`0.0.0.0`, `[::]`, as SECRETS_ADDR
 * may say) mean this host's loopback.
 */
export function serverUrl(address: string): string {
  const text = address.trim();
  if (/^https?:\/\//i.test(text)) {
    if (!URL.canParse(text)) throw badAddress(address);
    return text.replace(/\/+$/, "");
  }
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw badAddress(address);
  const host = m[1] === "0.0.0.0" ? "127.0.0.1" : m[1] === "[::]" ? "[::1]" : m[1];
  return `http://${host}:${m[2]}`;
}

const badAddress = (address: string) =>
  new ConnectError(`a server address is host:port or an http(s) URL, e.g. 127.0.0.1:50051 or https://secrets.internal:50051, not "${address}"`, Code.InvalidArgument);

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/**
 * UNAVAILABLE (a restarting replica, a database outage) passes; a call is
 * repeated only when repeating it cannot do anything twice: RPCs the contract
 * marks side-effect-free or idempotent, ResolveResourceSecrets (which changes
 * nothing but the audit trail), and creates that carry a request_id (answered
 * from their first result).
 */
function retryUnavailable(retries: number, delayMs: number): Interceptor {
  return (next) => (req) => {
    if (req.stream || !repeatable(req.method, req.message)) return next(req);
    return pRetry(() => next(req), {
      retries,
      minTimeout: delayMs,
      maxTimeout: 2000,
      randomize: true,
      signal: req.signal,
      shouldRetry: ({ error }) => ConnectError.from(error).code === Code.Unavailable,
    });
  };
}

function repeatable(method: { name: string; idempotency: MethodOptions_IdempotencyLevel }, message: object): boolean {
  if (method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) return true;
  if (method.name === "ResolveResourceSecrets") return true;
  const requestId = (message as { requestId?: unknown }).requestId;
  return typeof requestId === "string" && requestId !== "";
}
