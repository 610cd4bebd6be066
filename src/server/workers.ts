import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { openServices } from "../services.js";
import { ensureBootstrapToken } from "./bootstrap.js";

/**
 * The primary of SECRETS_WORKERS > 1: prepares the database once (migrations,
 * first KEK, bootstrap token) so that workers never race on a first start,
 * then runs N workers on the one port (node:cluster hands each accepted
 * connection to a worker), restarts a worker that dies, and on SIGTERM/SIGINT
 * lets every worker drain and stop.
 */
export async function runPrimary(config: Config, log: Logger): Promise<{ bootstrapToken: string | undefined }> {
  const services = await openServices({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, kek: config.kek, dbPoolSize: 1 });
  let bootstrapToken: string | undefined;
  try {
    bootstrapToken = await ensureBootstrapToken(services.tokenStore, services.apiTokens, config.bootstrapToken);
  } finally {
    await services.close();
  }
  let stopping = false;
  const fork = () => cluster.fork({ SECRETS_BOOTSTRAP_TOKEN: "" });
  cluster.on("exit", (worker: Worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) log.info("all workers stopped");
      return;
    }
    log.error({ worker: worker.process.pid, code, signal }, "worker died; starting another");
    fork();
  });
  for (let i = 0; i < config.workers; i++) fork();
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: config.workers }, "stopping workers: each finishes its in-flight calls");
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return { bootstrapToken };
}
