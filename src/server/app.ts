import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { SecretsService as SecretsServiceDesc } from "../../gen/secrets/v1/service_pb.js";
import { Authenticator } from "../auth/authenticator.js";
import { createJwtVerifier } from "../auth/jwt.js";
import type { Config } from "../config.js";
import { callInfoKey } from "../rpc/context.js";
import { healthHandlers } from "../rpc/health-handlers.js";
import { ReflectionIndex, reflectionV1Handlers, reflectionV1alphaHandlers } from "../rpc/reflection-handlers.js";
import { errorInterceptor, loggingInterceptor, refusalInterceptor } from "../rpc/interceptors.js";
import { secretsHandlers } from "../rpc/secrets-handlers.js";
import { useNodeTextEncoding } from "../rpc/text-encoding.js";
import { errorSummary } from "../logging.js";
import { refreshKeyring } from "../secrets/keyring-loader.js";
import { type Services, openServices } from "../services.js";
import { createAdmission } from "./admission.js";
import { HealthMonitor } from "./health-monitor.js";
import { createGrpcFastPath } from "./grpc-fast-path.js";
import { createHttpHandler } from "./http-handler.js";
import { restRoutes } from "./rest-routes.js";
import { type Listener, listen } from "./listener.js";
import { ensureBootstrapToken } from "./bootstrap.js";
import { requestIdOf } from "./request-id.js";

/** Largest request message: a 64 KiB value plus JSON escaping and metadata. */
export const READ_MAX_BYTES = 512 * 1024;

export interface RunningServer {
  address: { host: string; port: number };
  /** Graceful: health turns NOT_SERVING, in-flight calls finish, then the database closes. */
  close(): Promise<void>;
  services: Services;
  /** The admin token created on this start, shown once; undefined when tokens already existed. */
  bootstrapToken: string | undefined;
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
    dbPoolSize: config.dbPoolSize,
    tokenCacheTtlMs: config.tokenCacheTtlMs,
    resolveRate: config.resolveRate,
    onAuditFlushError: (err, pending) => log.error({ err: { name: (err as Error).name }, pending }, "audit events could not be written; retrying"),
  });
  const { database, keyring } = services;
  try {
    const bootstrapToken = await ensureBootstrapToken(services.tokenStore, services.apiTokens, config.bootstrapToken);
    const monitor = new HealthMonitor({ probe: database.ping });
    monitor.start();
    const stopKeyringRefresh = keepKeyringFresh(services, config, log);
    const mounted = [SecretsServiceDesc, Health, ReflectionV1, ReflectionV1alpha];
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
      { service: SecretsServiceDesc, impl: secretsHandlers(services.secrets, services.keyringService) },
      { service: Health, impl: healthHandlers(monitor, [SecretsServiceDesc.typeName]) },
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
    const handler = createHttpHandler({
      router,
      grpcFastPath,
      restRoutes: restRoutes([SecretsServiceDesc]),
      corsOrigins: config.corsOrigins,
      readMaxBytes: READ_MAX_BYTES,
      log,
      contextValues,
      admission,
    });
    const listener: Listener = await listen({
      handler,
      host: config.host,
      port: config.port,
      log,
      tls: config.tls,
      headersTimeoutMs: config.headersTimeoutMs,
      maxConnectionsPerPeer: config.maxConnectionsPerPeer,
    });
    log.info(
      { address: listener.address, database: database.kind, kekVersion: keyring.active().version, startupMs: Math.round(performance.now() - started) },
      "secrets service listening",
    );
    let closing: Promise<void> | undefined;
    return {
      address: listener.address,
      services,
      bootstrapToken,
      close: () =>
        (closing ??= (async () => {
          monitor.drain();
          monitor.stop();
          stopKeyringRefresh();
          await listener.close(config.shutdownGraceMs);
          await services.close();
        })()),
    };
  } catch (err) {
    await services.close().catch(() => {});
    throw err;
  }
}

/** Polls the KEK versions so that activations and retirements reach this replica within one interval. */
function keepKeyringFresh(services: Services, config: Config, log: Logger): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const before = services.keyring.active().version;
      const { changed } = await refreshKeyring(services.keyring, config.kek, services.kekStore);
      if (changed) log.info({ activeBefore: before, active: services.keyring.active().version, loaded: services.keyring.versions() }, "keyring updated");
    } catch (err) {
      log.error({ err: errorSummary(err) }, "keyring refresh failed; keeping the current keys");
    } finally {
      running = false;
    }
  }, config.kekPollMs);
  timer.unref();
  return () => clearInterval(timer);
}
