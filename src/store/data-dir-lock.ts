import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";

/** The data directory is held by another live process. */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data directory ${dataDir} is in use by process ${pid} (a running secrets server?). ` +
        "The embedded database allows one process at a time: stop that server, or go through its API " +
        "(e.g. secretsctl with --server), or point DATABASE_URL at PostgreSQL to run several processes.",
    );
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * PGlite has no lock of its own and two processes on one directory corrupt it,
 * so the directory is locked for the process's lifetime with an exclusively
 * created pid file. A lock whose pid is no longer alive is stale and taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, "secrets.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(path, "wx", 0o600);
      await file.writeFile(String(process.pid));
      await file.close();
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new DataDirLockedError(dataDir, holder);
    }
    if (holder === process.pid) throw new DataDirLockedError(dataDir, holder);
    // Stale: its process is gone. Remove it and try again.
    await unlink(path).catch(() => {});
  }
  throw new Error(`could not lock the data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
