import { Writable } from "node:stream";
import type { Role } from "../../src/auth/principal.js";
import { type Config, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logging.js";
import { type RunningServer, startServer } from "../../src/server/app.js";
import { ensureBootstrapToken } from "../../src/server/bootstrap.js";
import { type Backend, type TestDatabase, createTestDatabase } from "./database.js";

export const BOOTSTRAP_TOKEN = "sst_TEST-bootstrap-admin-token-0000000000000000".slice(0, 47);

export interface TestServer {
  server: RunningServer;
  config: Config;
  port: number;
  baseUrl: string;
  adminToken: string;
  /** Issues an API token for a new principal of the given role. */
  token(role: Role, name?: string): Promise<string>;
  /** Everything the server logged so far, as JSON lines. */
  logs(): string;
  stop(): Promise<void>;
}

/** The real server on a real port (0 = any free one), logging into memory so tests can read the logs. */
export async function startTestServer(options: { backend?: Backend; env?: Record<string, string> } = {}): Promise<TestServer> {
  const db: TestDatabase = await createTestDatabase(options.backend);
  const config = loadConfig({
    SECRETS_ADDR: "127.0.0.1:0",
    SECRETS_DATA_DIR: db.dataDir,
    SECRETS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
    SECRETS_SHUTDOWN_GRACE_MS: "5000",
    // A suite drives one principal far harder than a person would: the per-principal rates are tested where a test sets them.
    SECRETS_CALL_BURST: "100000",
    SECRETS_WRITE_BURST: "100000",
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    ...options.env,
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const server = await startServer(config, createLogger("debug", sink));
  // As the process entry does once the port listens; the configured token is never shown.
  await ensureBootstrapToken(server.services.tokenStore, config.bootstrapToken, () => {});
  let n = 0;
  return {
    server,
    config,
    port: server.address.port,
    baseUrl: `http://127.0.0.1:${server.address.port}`,
    adminToken: BOOTSTRAP_TOKEN,
    async token(role, name = `${role}-${++n}`) {
      const issued = await server.services.apiTokens.issue({ name, role, createdBy: "test" });
      return issued!.token;
    },
    logs: () => lines.join(""),
    async stop() {
      await server.close();
      await db.drop();
    },
  };
}
