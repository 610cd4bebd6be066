import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The arguments `npm start` gives node (package.json), so that a spawned
 * server runs with the same flags, its heap bound among them.
 */
export function startArgs(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  const m = /^node((?: --[\w-]+(?:=\S+)?)*) (dist\/bin\/main\.js)$/.exec(start);
  if (!m) throw new Error(`package.json's start script is no longer "node [--flags] dist/bin/main.js": ${start}`);
  return [...m[1]!.split(" ").filter(Boolean), m[2]!];
}

export interface ServiceProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the port once the service logs that it listens. */
  listening: Promise<number>;
  exited: Promise<number | null>;
}

/** Runs the built server (`npm run build`, done by the global setup) as its own process, as `npm start` does. */
export function spawnService(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, startArgs(), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", SECRETS_ADDR: "127.0.0.1:0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (c) => {
      out += c;
      const m = /"msg":"secrets service listening"/.test(out) && /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`service exited with ${code} before listening: ${out}${err}`)));
  });
  listening.catch(() => {});
  return { child, stdout: () => out, stderr: () => err, listening, exited };
}
