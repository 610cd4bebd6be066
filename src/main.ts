import cluster from "node:cluster";
import { isIP } from "node:net";
import { isAbsolute, relative, sep } from "node:path";
import type { Logger } from "pino";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createLogger, errorSummary } from "./logging.js";
import { type RunningServer, startServer } from "./server/app.js";
import { ensureBootstrapToken } from "./server/bootstrap.js";
import { runPrimary } from "./server/workers.js";

/** Process entry: config → database → keyring → server; signals. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (!isLoopback(config.host) && !config.tls) {
    log.warn({ host: config.host }, "listening on a non-loopback address without TLS: credentials and values cross the network in clear");
  }
  const exposedKeystore = keystoreBesideEmbeddedDatabase(config);
  if (exposedKeystore) {
    log.warn(
      { keystore: exposedKeystore, dataDir: config.dataDir },
      "the KEK keystore is inside the data directory, beside the embedded database: one copy of that directory (a backup, a volume snapshot) " +
        "holds the ciphertext and the key that opens it. Set SECRETS_KEYSTORE_PATH outside it, or use SECRETS_KEK_PASSPHRASE_FILE",
    );
  }
  if (config.workers > 1 && cluster.isPrimary) {
    try {
      await runPrimary(config, log, printBootstrapToken);
    } catch (err) {
      startFailed(log, err);
    }
    return;
  }
  // Signals are taken from the first moment: one that arrives during start-up stops the server once it is up.
  let server: RunningServer | undefined;
  let stopRequested: string | undefined;
  const stop = (signal: string) => {
    if (stopRequested) return;
    stopRequested = signal;
    if (!server) return;
    log.info({ signal }, "shutting down: finishing in-flight calls");
    server.close().then(
      () => {
        log.info("stopped");
        // A cluster worker stays attached to its primary until it lets go.
        if (cluster.isWorker) process.disconnect();
      },
      (err: Error) => {
        log.error({ err: { name: err.name } }, "unclean shutdown");
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  try {
    server = await startServer(config, log);
    // A worker of SECRETS_WORKERS leaves this to its primary.
    if (cluster.isPrimary) await ensureBootstrapToken(server.services.tokenStore, config.bootstrapToken, printBootstrapToken);
  } catch (err) {
    startFailed(log, err);
    process.removeAllListeners("SIGTERM").removeAllListeners("SIGINT");
    await server?.close().catch(() => {});
    // Its channel to the primary would keep a worker alive; the primary sees it exit.
    if (cluster.isWorker) process.disconnect();
    return;
  }
  if (stopRequested) {
    const signal = stopRequested;
    stopRequested = undefined;
    stop(signal);
  }
}

let bootstrapTokenShown = false;

/** Shown once, on the terminal only: it is never logged and only its hash is stored. */
function printBootstrapToken(token: string): void {
  bootstrapTokenShown = true;
  process.stderr.write(
    `\nFirst start: an admin API token was created. It is shown only this once; store it safely:\n\n  ${token}\n\n` +
      `Use it as "authorization: Bearer <token>" (e.g. export SECRETS_TOKEN=...).\n\n`,
  );
}

function startFailed(log: Logger, err: unknown): void {
  log.fatal({ err: errorSummary(err) }, "cannot start");
  if (bootstrapTokenShown) process.stderr.write("Start-up failed after the admin token above was shown: if it does not work, the next start shows a new one.\n");
  process.exitCode = 1;
}

/**
 * The keystore directory when it lies inside the data directory of the embedded database.
 * With PostgreSQL the data directory holds no ciphertext, so a keystore there sits beside nothing it opens.
 */
function keystoreBesideEmbeddedDatabase(config: Config): string | undefined {
  if (config.kek.kind !== "keystore" || config.databaseUrl) return undefined;
  const path = relative(config.dataDir, config.kek.dir);
  return path === ".." || path.startsWith(`..${sep}`) || isAbsolute(path) ? undefined : config.kek.dir;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

await main();
