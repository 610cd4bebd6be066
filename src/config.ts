import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import type { JwtOptions } from "./auth/jwt.js";
import type { KekSource } from "./secrets/keyring-loader.js";
import { DEFAULT_QUOTAS, type QuotaLimits } from "./secrets/quotas.js";

/** Every setting of the service, parsed and validated in one place. */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  kek: KekSource;
  logLevel: string;
  versionRetention: number;
  /** Per-principal quotas (admins exempt); 0 = no limit. */
  quotas: QuotaLimits;
  /** Audit events older than this many days are pruned in the background; undefined = kept forever. */
  auditRetentionDays: number | undefined;
  /** How long in-flight calls may take to finish on SIGTERM before connections are cut. */
  shutdownGraceMs: number;
  /** HTTP/1.1: how long a client may take to send a request's headers before it is answered 408 and cut (slow clients). */
  headersTimeoutMs: number;
  dbPoolSize: number;
  /** The embedded database's buffer pool, MB (resident from start-up; what does not fit is read from the OS page cache). */
  pgliteSharedBuffersMb: number;
  /** Admin token to register on first start instead of generating one. */
  bootstrapToken: string | undefined;
  /** How long a verified API token is trusted before the database is asked again (bounds revocation delay). */
  tokenCacheTtlMs: number;
  /** Worker processes sharing the one port (node:cluster); more than 1 needs DATABASE_URL. */
  workers: number;
  /** How often the keyring is brought in line with the database (new, activated, retired KEK versions). */
  kekPollMs: number;
  /** ResolveResourceSecrets per principal and replica: sustained rate and burst. */
  resolveRate: { ratePerSecond: number; burst: number };
  /** Lets auth_config.api_base name loopback, private or link-local addresses (a self-hosted model server). */
  allowPrivateApiBase: boolean;
  /** Calls served at once by one process (health and reflection aside); the excess is shed with RESOURCE_EXHAUSTED. */
  maxInFlight: number;
  /** How many of those one principal may hold (admins aside). */
  maxInFlightPerPrincipal: number;
  /** Connections open at once from one peer address; one more is closed on accept. */
  maxConnectionsPerPeer: number;
  /** Every RPC per principal and process (admins aside): sustained rate and burst. */
  callRate: { ratePerSecond: number; burst: number };
  /** RPCs that change stored state, per principal and process (admins aside), on top of callRate. */
  writeRate: { ratePerSecond: number; burst: number };
  /** Browser origins allowed by CORS, e.g. https://app.example.com. */
  corsOrigins: string[];
  /** JWT verification, when a JWKS URL or a public key is configured. */
  jwt: JwtOptions | undefined;
  /** TLS on the one port (with ALPN h2 + http/1.1); mTLS when clientCa is set. */
  tls: TlsConfig | undefined;
}

export interface TlsConfig {
  cert: Buffer;
  key: Buffer;
  /** CA bundle that client certificates must chain to; set = client certificates required. */
  clientCa: Buffer | undefined;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const { host, port } = parseAddr(env.SECRETS_ADDR ?? "127.0.0.1:50051");
  const dataDir = resolve(env.SECRETS_DATA_DIR || "./data");
  const dbPoolSize = int(env, "SECRETS_DB_POOL_SIZE", 10, 1, 200);
  // Enough calls to keep every database connection busy with a short queue behind each; more would only wait, holding memory.
  const maxInFlight = int(env, "SECRETS_MAX_IN_FLIGHT", IN_FLIGHT_PER_DB_CONNECTION * dbPoolSize, 1, 100_000);
  return {
    host,
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    kek: kekSource(env, dataDir),
    logLevel: oneOf("SECRETS_LOG_LEVEL", env.SECRETS_LOG_LEVEL ?? "info", ["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
    versionRetention: int(env, "SECRETS_VERSION_RETENTION", 10, 1, 1000),
    quotas: {
      maxSecretsPerPrincipal: int(env, "SECRETS_MAX_SECRETS_PER_PRINCIPAL", DEFAULT_QUOTAS.maxSecretsPerPrincipal, 0, 100_000_000),
      maxBytesPerPrincipal: int(env, "SECRETS_MAX_BYTES_PER_PRINCIPAL", DEFAULT_QUOTAS.maxBytesPerPrincipal, 0, Number.MAX_SAFE_INTEGER),
    },
    auditRetentionDays: env.SECRETS_AUDIT_RETENTION_DAYS ? int(env, "SECRETS_AUDIT_RETENTION_DAYS", 0, 1, 36_500) : undefined,
    shutdownGraceMs: int(env, "SECRETS_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    headersTimeoutMs: int(env, "SECRETS_HEADERS_TIMEOUT_MS", 15_000, 1_000, 600_000),
    dbPoolSize,
    pgliteSharedBuffersMb: int(env, "SECRETS_PGLITE_SHARED_BUFFERS_MB", 16, 1, 4096),
    bootstrapToken: env.SECRETS_BOOTSTRAP_TOKEN || undefined,
    tokenCacheTtlMs: int(env, "SECRETS_TOKEN_CACHE_TTL_MS", 5_000, 0, 60_000),
    workers: workers(env),
    kekPollMs: int(env, "SECRETS_KEK_POLL_MS", 2_000, 100, 600_000),
    resolveRate: rate(env, "SECRETS_RESOLVE", 100, 200),
    maxInFlight,
    maxInFlightPerPrincipal: int(env, "SECRETS_MAX_IN_FLIGHT_PER_PRINCIPAL", Math.max(1, Math.floor(maxInFlight / 4)), 1, 100_000),
    maxConnectionsPerPeer: int(env, "SECRETS_MAX_CONNECTIONS_PER_PEER", 256, 1, 65_535),
    callRate: rate(env, "SECRETS_CALL", 50, 100),
    writeRate: rate(env, "SECRETS_WRITE", 10, 50),
    allowPrivateApiBase: flag(env, "SECRETS_ALLOW_PRIVATE_API_BASE"),
    corsOrigins: origins(env.SECRETS_CORS_ORIGINS),
    tls: tls(env),
    jwt: jwt(env),
  };
}

function flag(env: Env, name: string): boolean {
  const v = env[name];
  if (v === undefined || v === "" || v === "0" || v === "false") return false;
  if (v === "1" || v === "true") return true;
  throw new ConfigError(`${name} must be 1/true or 0/false`);
}

/** The default in-flight cap per database connection (SECRETS_DB_POOL_SIZE). */
const IN_FLIGHT_PER_DB_CONNECTION = 16;

/** A per-principal token bucket: <prefix>_RATE per second, <prefix>_BURST at once. */
function rate(env: Env, prefix: string, ratePerSecond: number, burst: number): { ratePerSecond: number; burst: number } {
  return { ratePerSecond: int(env, `${prefix}_RATE`, ratePerSecond, 1, 1_000_000), burst: int(env, `${prefix}_BURST`, burst, 1, 1_000_000) };
}

function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || port > 65535 || (host !== "" && host !== "localhost" && isIP(host) === 0)) {
    throw new ConfigError(`SECRETS_ADDR must be host:port with an IP address or localhost (e.g. 127.0.0.1:50051, [::1]:50051, 0.0.0.0:50051), got "${addr}"`);
  }
  return { host: host === "" ? "0.0.0.0" : host, port };
}

function kekSource(env: Env, dataDir: string): KekSource {
  const inline = env.SECRETS_KEK_PASSPHRASE;
  const file = env.SECRETS_KEK_PASSPHRASE_FILE;
  if (inline && file) throw new ConfigError("set SECRETS_KEK_PASSPHRASE or SECRETS_KEK_PASSPHRASE_FILE, not both");
  let passphrase = inline;
  if (file) {
    try {
      passphrase = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new ConfigError(`SECRETS_KEK_PASSPHRASE_FILE ${file} cannot be read: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  if (passphrase !== undefined) {
    if (passphrase.length < 16) throw new ConfigError("the KEK passphrase must be at least 16 characters");
    if (env.SECRETS_KEYSTORE_PATH) throw new ConfigError("set a KEK passphrase or SECRETS_KEYSTORE_PATH, not both");
    return { kind: "passphrase", passphrase };
  }
  return { kind: "keystore", dir: resolve(env.SECRETS_KEYSTORE_PATH || join(dataDir, "keystore")) };
}

function workers(env: Env): number {
  const n = int(env, "SECRETS_WORKERS", 1, 1, 64);
  if (n > 1 && !env.DATABASE_URL) {
    throw new ConfigError("SECRETS_WORKERS > 1 needs DATABASE_URL: the embedded database can be opened by one process only");
  }
  return n;
}

function origins(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw.split(",").map((o) => {
    const origin = o.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || parsed.origin !== origin) {
      throw new ConfigError(`SECRETS_CORS_ORIGINS entries must be origins like https://app.example.com (scheme, host, optional port; no path), got "${origin}"`);
    }
    return origin;
  });
}

function jwt(env: Env): JwtOptions | undefined {
  const { SECRETS_JWT_JWKS_URL: jwksUrl, SECRETS_JWT_PUBLIC_KEY: key } = env;
  if (!jwksUrl && !key) return undefined;
  if (jwksUrl && key) throw new ConfigError("set SECRETS_JWT_JWKS_URL or SECRETS_JWT_PUBLIC_KEY, not both");
  if (jwksUrl && !/^https?:\/\//.test(jwksUrl)) throw new ConfigError("SECRETS_JWT_JWKS_URL must be an http(s) URL");
  return {
    jwksUrl: jwksUrl || undefined,
    // Inline PEM, or the path of a PEM file.
    publicKeyPem: key ? (key.includes("-----BEGIN") ? key : readPem("SECRETS_JWT_PUBLIC_KEY", key).toString("utf8")) : undefined,
    issuer: env.SECRETS_JWT_ISSUER || undefined,
    audience: env.SECRETS_JWT_AUDIENCE || undefined,
    clockToleranceSeconds: int(env, "SECRETS_JWT_CLOCK_SKEW_S", 30, 0, 600),
    rolesClaim: env.SECRETS_JWT_ROLES_CLAIM || "roles",
  };
}

function tls(env: Env): TlsConfig | undefined {
  const { SECRETS_TLS_CERT: cert, SECRETS_TLS_KEY: key, SECRETS_TLS_CLIENT_CA: ca } = env;
  if (!cert && !key && !ca) return undefined;
  if (!cert || !key) throw new ConfigError("TLS needs both SECRETS_TLS_CERT and SECRETS_TLS_KEY");
  return { cert: readPem("SECRETS_TLS_CERT", cert), key: readPem("SECRETS_TLS_KEY", key), clientCa: ca ? readPem("SECRETS_TLS_CLIENT_CA", ca) : undefined };
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code}`);
  }
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`${name} must be one of ${allowed.join(", ")}`);
  return value as T;
}
