import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";

/** A private PostgreSQL cluster made with the machine's initdb/pg_ctl, which a test may stop and start. */
export interface PgCluster {
  url: string;
  stop(): void;
  start(): void;
  destroy(): void;
}

const BIN = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, "initdb"))) : undefined;

/** initdb refuses to run as root: as root the cluster is run as the postgres user. */
const asRoot = process.getuid?.() === 0;

export const pgClusterAvailable = Boolean(BIN) && (!asRoot || existsSync("/usr/sbin/runuser"));

export async function createPgCluster(): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), "secrets-pgcluster-"));
  const port = await freePort();
  const run = (tool: string, ...args: string[]) => {
    const cmd = asRoot ? ["/usr/sbin/runuser", ["-u", "postgres", "--", join(BIN!, tool), ...args]] as const : [join(BIN!, tool), args] as const;
    execFileSync(cmd[0], [...cmd[1]], { stdio: "pipe", timeout: 60_000 });
  };
  if (asRoot) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString().trim()), Number(execFileSync("id", ["-g", "postgres"]).toString().trim()));
  const data = join(dir, "data");
  run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync");
  const start = () => run("pg_ctl", "-D", data, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-w", "-l", join(dir, "log"), "start");
  const stop = () => run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop");
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: () => {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
