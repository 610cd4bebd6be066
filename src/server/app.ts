import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { SecretsService as SecretsServiceDesc } from "../../gen/secrets/v1/service_pb.js";
import { TokenService as TokenServiceDesc } from "../../gen/secrets/v1/tokens_pb.js";
import { GatewayService as GatewayServiceDesc } from "../../gen/secrets/v1/gateway_pb.js";
import { ProviderService as ProviderServiceDesc } from "../../gen/secrets/v1/providers_pb.js";
import { Authenticator } from "../auth/authenticator.js";
import { createJwtVerifier } from "../auth/jwt.js";
import type { Config } from "../config.js";
import { callInfoKey } from "../rpc/context.js";
import { healthHandlers } from "../rpc/health-handlers.js";
import { ReflectionIndex, reflectionV1Handlers, reflectionV1alphaHandlers } from "../rpc/reflection-handlers.js";
import { errorInterceptor, loggingInterceptor, refusalInterceptor } from "../rpc/interceptors.js";
import { secretsHandlers } from "../rpc/secrets-handlers.js";
import { tokenHandlers } from "../rpc/token-handlers.js";
import { gatewayHandlers } from "../rpc/gateway-handlers.js";
import { providerHandlers } from "../rpc/provider-handlers.js";
import { useNodeTextEncoding } from "../rpc/text-encoding.js";
import { errorSummary } from "../logging.js";
import { refreshKeyring } from "../secrets/keyring-loader.js";
import { type Services, openServices } from "../services.js";
import { createAdmission } from "./admission.js";
import { ensureBootstrapToken } from "./bootstrap.js";
import { createConsoleAssets } from "./console-assets.js";
import { HealthMonitor } from "./health-monitor.js";
import { createGrpcFastPath } from "./grpc-fast-path.js";
import { createHttpHandler } from "./http-handler.js";
import { createMetrics } from "./metrics.js";
import { createProbes } from "./probes.js";
import { restRoutes } from "./rest-routes.js";
import { type Listener, listen } from "./listener.js";
import { requestIdOf } from "./request-id.js";

/** Largest request message: a 64 KiB value plus JSON escaping and metadata. */
export const READ_MAX_BYTES = 512 * 1024;

export interface RunningServer {
  address: { host: string; port: number };
  /** Graceful: health turns NOT_SERVING, in-flight calls finish, then the database closes. */
  close(): Promise<void>;
  services: Services;
}

/** Opens the database and keyring, wires the services and listens on the configured port. */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const started = performance.now();
  useNodeTextEncoding();
  const services = await openServices({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    kek: config.kek,
    versionRetention: config.versionRetention,
    quotas: config.quotas,
    auditRetention:
      config.auditRetentionDays === undefined
        ? undefined
        : {
            days: config.auditRetentionDays,
            onPruned: (deleted, cutoff) => log.info({ deleted, before: cutoff.toISOString() }, "audit events past their retention deleted"),
            onError: (err) => log.error({ err: errorSummary(err) }, "audit retention run failed; retrying at the next interval"),
          },
    dbPoolSize: config.dbPoolSize,
    pgliteSharedBuffersMb: config.pgliteSharedBuffersMb,
    tokenCacheTtlMs: config.tokenCacheTtlMs,
    resolveRate: config.resolveRate,
    allowPrivateApiBase: config.allowPrivateApiBase,
    onAuditFlushError: (err, pending) => log.error({ err: { name: (err as Error).name }, pending }, "audit events could not be written; retrying"),
  });
  const { database, keyring } = services;
  try {
    const monitor = new HealthMonitor({ probe: database.ping });
    monitor.start();
    const keyringRefresh = keepKeyringFresh(services, config, log);
    const contract = [SecretsServiceDesc, TokenServiceDesc, GatewayServiceDesc, ProviderServiceDesc];
    const mounted = [...contract, Health, ReflectionV1, ReflectionV1alpha];
    const reflection = new ReflectionIndex(mounted);
    const interceptors = [refusalInterceptor(), loggingInterceptor(log), errorInterceptor(log)];
    const admission = createAdmission({
      authenticator: new Authenticator({ apiTokens: services.apiTokens, jwt: config.jwt && createJwtVerifier(config.jwt) }),
      maxInFlight: config.maxInFlight,
      maxInFlightPerPrincipal: config.maxInFlightPerPrincipal,
      callRate: config.callRate,
      writeRate: config.writeRate,
      log,
    });
    const served = [
      { service: SecretsServiceDesc, impl: secretsHandlers(services.secrets, services.keyringService, services.resources, services.credentialRules) },
      { service: TokenServiceDesc, impl: tokenHandlers(services.tokens) },
      { service: GatewayServiceDesc, impl: gatewayHandlers(services.gateway, services.configResolver, services.secrets, services.credentialRules, services.catalog) },
      { service: ProviderServiceDesc, impl: providerHandlers(services.catalogService, services.providerKeys, services.credentialRules) },
      { service: Health, impl: healthHandlers(monitor, contract.map((s) => s.typeName)) },
      { service: ReflectionV1, impl: reflectionV1Handlers(reflection) },
      { service: ReflectionV1alpha, impl: reflectionV1alphaHandlers(reflection) },
    ] as const;
    const router = createConnectRouter({ readMaxBytes: READ_MAX_BYTES, acceptCompression: [compressionGzip, compressionBrotli], interceptors });
    for (const { service, impl } of served) router.service(service, impl as never);
    const contextValues = (req: { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string } }) => {
      const values = createContextValues();
      values.set(callInfoKey, { requestId: requestIdOf(req.headers["x-request-id"]), peer: req.socket.remoteAddress ?? "" });
      return values;
    };
    const grpcFastPath = createGrpcFastPath({ services: [...served], interceptors, admission, contextValues, readMaxBytes: READ_MAX_BYTES });
    const probes = createProbes({
      databaseReachable: () => monitor.reachable,
      keyringLoaded: keyringRefresh.current,
      draining: () => monitor.shuttingDown,
    });
    const handler = createHttpHandler({
      probes,
      metrics: createMetrics({ admission, contextValues, counts: database.counts }),
      consoleAssets: createConsoleAssets(),
      router,
      grpcFastPath,
      restRoutes: restRoutes(contract),
      corsOrigins: config.corsOrigins,
      readMaxBytes: READ_MAX_BYTES,
      log,
      contextValues,
      admission,
    });
    // A configured admin token is already in its operator's hands: it can be registered before the port opens, so the first call finds it.
    if (config.bootstrapToken) await ensureBootstrapToken(services.tokenStore, config.bootstrapToken, () => {});
    const listener: Listener = await listen({
      handler,
      host: config.host,
      port: config.port,
      log,
      tls: config.tls,
      headersTimeoutMs: config.headersTimeoutMs,
      maxConnectionsPerPeer: config.maxConnectionsPerPeer,
    });
    services.auditRetention?.start();
    log.info(
      { address: listener.address, database: database.kind, kekVersion: keyring.active().version, startupMs: Math.round(performance.now() - started) },
      "secrets service listening",
    );
    let closing: Promise<void> | undefined;
    return {
      address: listener.address,
      services,
      close: () =>
        (closing ??= (async () => {
          monitor.drain();
          monitor.stop();
          keyringRefresh.stop();
          await listener.close(config.shutdownGraceMs);
          await services.close();
        })()),
    };
  } catch (err) {
    await services.close().catch(() => {});
    throw err;
  }
}

/**
 * Polls the KEK versions so that activations and retirements reach this
 * replica within one interval. `current` is false while the last refresh
 * failed (a new version's key missing here, say): the replica is not ready.
 */
function keepKeyringFresh(services: Services, config: Config, log: Logger): { stop(): void; current(): boolean } {
  let running = false;
  let current = true;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const before = services.keyring.active().version;
      const { changed } = await refreshKeyring(services.keyring, config.kek, services.kekStore);
      if (changed) log.info({ activeBefore: before, active: services.keyring.active().version, loaded: services.keyring.versions() }, "keyring updated");
      current = true;
    } catch (err) {
      current = false;
      log.error({ err: errorSummary(err) }, "keyring refresh failed; keeping the current keys");
    } finally {
      running = false;
    }
  }, config.kekPollMs);
  timer.unref();
  return { stop: () => clearInterval(timer), current: () => current };
}
