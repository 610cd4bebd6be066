import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, inject, it } from "vitest";

/**
 * `npm run bench` in miniature: it must keep working end to end (servers
 * started, data seeded, every scenario driven without errors, figures
 * printed and written). The figures themselves are not judged here: speed is
 * for the bench to show, not for a test to time.
 */
it("npm run bench runs every scenario on each database and writes its figures", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bench-smoke-"));
  try {
    const postgres = inject("postgresUrl");
    const { stdout } = await promisify(execFile)("npm", ["run", "bench", "--silent"], {
      env: {
        ...process.env,
        BENCH_SECRETS: "50",
        BENCH_SECONDS: "0.3",
        BENCH_CONCURRENCY: "2",
        BENCH_RESULTS_DIR: dir,
        // The global setup built the server; rebuilding here would rewrite it under other files' running processes.
        BENCH_NO_BUILD: "1",
        BENCH_DATABASE_URL: postgres,
      },
      timeout: 230_000,
    });
    const file = /figures written to (\S+)/.exec(stdout)?.[1];
    expect(file?.startsWith(dir)).toBe(true);
    const figures = JSON.parse(await readFile(file!, "utf8")) as {
      crypto: { sealUs: number; openUs: number };
      databases: Array<{ database: string; startupMs: number }>;
      rows: Array<{ database: string; scenario: string; protocol: string; requests: number; errors: number; sqlPerCall?: number; cpuUsPerCall: { server: number; client: number } }>;
    };
    const databases = postgres ? ["PGlite", "PostgreSQL"] : ["PGlite"];
    expect(figures.databases.map((d) => d.database)).toEqual(databases);
    const work = ["ceiling: Health/Check", "GetSecret", "ListSecrets (100)", "ResolveResourceSecrets (10)", "GetResourceEndpointConfigs (2×3)", "UpdateSecret (new version)", "CreateAndBindSecret", "CreateAndBindSecret (a user: quotas)"];
    for (const database of databases) {
      const scenarios = (protocol: string) => figures.rows.filter((r) => r.database === database && r.protocol === protocol).map((r) => r.scenario);
      expect(scenarios("gRPC h2")).toEqual(expect.arrayContaining([...work, "peer ceiling: plain grpc-js"]));
      expect(scenarios("Connect JSON h1")).toEqual(expect.arrayContaining(work));
    }
    if (postgres) expect(figures.rows.some((r) => r.protocol === "gRPC h2, 2 workers" && r.scenario === "ResolveResourceSecrets (10)")).toBe(true);
    for (const row of figures.rows) {
      expect(row.errors, `${row.database} ${row.scenario}`).toBe(0);
      expect(row.requests, `${row.database} ${row.scenario}`).toBeGreaterThan(0);
      expect(row.cpuUsPerCall.client).toBeGreaterThan(0);
    }
    // Statements are counted by the server, per call: a read is at least its one query, a create a transaction of several.
    const sql = (database: string, scenario: string) => figures.rows.find((r) => r.database === database && r.scenario === scenario && r.protocol === "gRPC h2")?.sqlPerCall;
    for (const database of databases) {
      expect(sql(database, "GetSecret")).toBeGreaterThanOrEqual(1);
      expect(sql(database, "CreateAndBindSecret")).toBeGreaterThanOrEqual(4);
      // The owner's lock and its usage, read by the quota check, besides.
      expect(sql(database, "CreateAndBindSecret (a user: quotas)")).toBeGreaterThanOrEqual(4 + 2);
      expect(sql(database, "peer ceiling: plain grpc-js")).toBeUndefined();
    }
    expect(stdout).toMatch(/SQL\/call/);
    expect(stdout).toMatch(/ListSecrets costs the server -?[\d.]+ µs per row/);
    expect(figures.crypto.openUs).toBeGreaterThan(0);
    // The table is printed too, with its CPU columns.
    expect(stdout).toMatch(/CPU µs\/call: server\s+client\s+postgres/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 240_000);
