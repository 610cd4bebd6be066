import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { openServices } from "../services.js";
import { ensureBootstrapToken } from "./bootstrap.js";

/**
 * The primary of SECRETS_WORKERS > 1: prepares the database once (migrations,
 * first KEK) so that workers never race on a first start, then runs N
 * workers on the one port (node:cluster hands each accepted connection to a
 * worker), restarts a worker that dies, and on SIGTERM/SIGINT lets every
 * worker drain and stop. The bootstrap token is created once the first
 * worker listens, so that it is never shown for a start that cannot serve.
 */
export async function runPrimary(config: Config, log: Logger, showBootstrapToken: (token: string) => void): Promise<void> {
  const services = await openServices({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, kek: config.kek, dbPoolSize: 1 });
  let stopping = false;
  let settleStart: (listening: boolean) => void = () => {};
  const started = new Promise<boolean>((resolve) => (settleStart = resolve));
  // Workers never register the bootstrap token, so a configured one stays out of their environment.
  const fork = () => cluster.fork({ SECRETS_BOOTSTRAP_TOKEN: "" });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    settleStart(false);
    log.info({ signal, workers: config.workers }, "stopping workers: each finishes its in-flight calls");
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  let listening = false;
  cluster.once("listening", () => {
    listening = true;
    settleStart(true);
  });
  cluster.on("exit", (worker: Worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) log.info("all workers stopped");
      return;
    }
    if (!listening) {
      // Before any worker listened this is a failed start (a busy port, say), which a restart would only repeat.
      log.fatal({ worker: worker.process.pid, code, signal }, "a worker could not start; stopping");
      process.exitCode = 1;
      stop("SIGTERM");
      return;
    }
    log.error({ worker: worker.process.pid, code, signal }, "worker died; starting another");
    fork();
  });
  // A configured one is registered before any worker listens, so the first call finds it.
  if (config.bootstrapToken) await ensureBootstrapToken(services.tokenStore, config.bootstrapToken, showBootstrapToken);
  for (let i = 0; i < config.workers; i++) fork();
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  try {
    if (await started) await ensureBootstrapToken(services.tokenStore, config.bootstrapToken, showBootstrapToken);
  } catch (err) {
    stop("SIGTERM");
    throw err;
  } finally {
    await services.close();
  }
}
