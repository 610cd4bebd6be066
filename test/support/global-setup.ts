import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL of a PostgreSQL server to make per-file databases in; "" = PGlite only. */
    postgresUrl: string;
    postgresSource: string;
  }
}

/**
 * Builds the server, and picks the PostgreSQL for the suite, in order: TEST_DATABASE_URL;
 * testcontainers when a container runtime answers; else none (PGlite only).
 */
export default async function setup(project: TestProject) {
  // Tests that run the service as a process run what `npm start` runs: the built server.
  execFileSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
  let url = process.env.TEST_DATABASE_URL ?? "";
  let source = url ? "TEST_DATABASE_URL" : "none";
  let stop: (() => Promise<unknown>) | undefined;
  if (!url && process.env.TEST_NO_CONTAINERS !== "1") {
    try {
      const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
      const container = await new PostgreSqlContainer("postgres:16-alpine").start();
      url = container.getConnectionUri();
      source = "testcontainers";
      stop = () => container.stop();
    } catch (err) {
      console.info(`[test db] no container runtime (${(err as Error).message.split("\n")[0]}); falling back to PGlite`);
    }
  }
  console.info(`[test db] PostgreSQL: ${url ? `${source} (${redact(url)})` : "not available"}; PGlite: always`);
  project.provide("postgresUrl", url);
  project.provide("postgresSource", source);
  return async () => {
    await stop?.();
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
