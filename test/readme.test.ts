import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, SECRETSCTL } from "./support/cli.js";
import { type ServiceProcess, spawnService } from "./support/process.js";

/**
 * The README cannot drift: every `sh` and `ts` block runs here, in order, in
 * one shell session (exported variables carry over from block to block),
 * against the service spawned as `npm start` runs it on a fresh embedded
 * database. Only the port and the data directory differ from a reader's
 * machine. `<!-- readme-test: … -->` before a block: `skip`, `server` (the
 * test starts the service in its place), `server stopped` (stops it first),
 * `admin token` (the token the first start printed is pasted where the
 * reader pastes it: over `sst_…`).
 */

interface Block {
  lang: "sh" | "ts";
  code: string;
  line: number;
  directive?: "skip" | "server" | "server stopped" | "admin token";
}

const DIRECTIVES = new Set(["skip", "server", "server stopped", "admin token"]);

function readmeBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (lines[end] !== "```") end++;
    const directive = /^<!-- readme-test: ([a-z ]+?)(?: \(.*\))? -->$/.exec(lines[i - 1] ?? "")?.[1];
    if (directive !== undefined && !DIRECTIVES.has(directive)) throw new Error(`README.md:${i}: unknown readme-test directive "${directive}"`);
    if (open[1] === "sh" || open[1] === "ts") blocks.push({ lang: open[1], code: lines.slice(i + 1, end).join("\n"), line: i + 1, directive: directive as Block["directive"] });
    i = end;
  }
  return blocks;
}

/** A block as a reader's shell runs it: nothing typed on its stdin. */
function runBash(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("bash", ["-c", script], { cwd: ROOT, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end();
  });
}

let work: string | undefined;
let service: ServiceProcess | undefined;

afterAll(async () => {
  if (service && service.child.exitCode === null) {
    service.child.kill("SIGTERM");
    await service.exited;
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe("README", () => {
  it("every example runs as written, in order", async () => {
    const blocks = readmeBlocks(await readFile(join(ROOT, "README.md"), "utf8"));
    expect(blocks.filter((b) => b.directive === "server")).toHaveLength(1);

    work = await mkdtemp(join(tmpdir(), "secrets-readme-"));
    // What `npm link` would do: secretsctl on the PATH.
    await writeFile(join(work, "secretsctl"), `#!/bin/sh\nexec "${process.execPath}" "${SECRETSCTL}" "$@"\n`);
    await chmod(join(work, "secretsctl"), 0o755);
    const state = join(work, "exported.sh");
    await writeFile(state, "");
    const dataDir = join(work, "data");
    const env: Record<string, string> = { PATH: `${work}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? work, SECRETS_DATA_DIR: dataDir };
    let port: number | undefined;

    const outputs = new Map<number, string>();
    for (const block of blocks) {
      if (block.directive === "skip") continue;
      if (block.directive === "server") {
        expect(block.code.trim()).toBe("npm start");
        service = spawnService({ SECRETS_DATA_DIR: dataDir });
        port = await service.listening;
        env.SECRETS_ADDR = `127.0.0.1:${port}`;
        continue;
      }
      if (block.directive === "server stopped") {
        service!.child.kill("SIGTERM");
        expect(await service!.exited).toBe(0);
      }
      let code = port === undefined ? block.code : block.code.replaceAll("127.0.0.1:50051", `127.0.0.1:${port}`);
      if (block.directive === "admin token") {
        // Printed once the port listens, so it may follow the listening line by a moment.
        const printedToken = () => /First start: an admin API token was created[\s\S]*?\n {2}(sst_[A-Za-z0-9_-]{43})\n/.exec(service!.stderr())?.[1];
        await expect.poll(printedToken, { timeout: 10_000, message: "the first start printed an admin token" }).toBeDefined();
        const printed = printedToken();
        expect(code).toContain("sst_…");
        code = code.replace("sst_…", printed!);
      }
      // A TypeScript block runs with tsx as an ES module, in the environment the shell blocks exported so far.
      const res =
        block.lang === "sh"
          ? await runBash(`set -e -o pipefail\nsource "${state}"\n${code}\nexport -p > "${state}"\n`, env)
          : await runBash(`source "${state}"\nexec "${join(ROOT, "node_modules/.bin/tsx")}" --input-type=module -e "$README_TS"\n`, { ...env, README_TS: code });
      if (res.code !== 0) throw new Error(`the ${block.lang} block at README.md:${block.line} failed (exit ${res.code}):\n${block.code}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`);
      outputs.set(block.line, res.stdout + res.stderr);
    }

    const all = [...outputs.values()].join("\n");
    expect(all).toContain("the job sees OPENAI_API_KEY, 24 characters long");
    // Tokens made through the API with the first start's admin token.
    expect(all).toMatch(/principal\s+scorer-123-runner/);
    expect(all).toContain('"name":"bob","roles":["user"]');
    // The gateway walk-through: what the scorer resolves is the endpoint it was bound to, with its key.
    expect(all).toContain('"resource_id":"scorer-123","display_name":"nightly scorer"');
    expect(all).toMatch(/"endpointName": "chat"[\s\S]*"api_key": "sk-proj-0123456789abcdef"/);
    expect(all).toContain("resolved: OPENAI_API_KEY");
    expect(all).toContain("in this process's environment now: OPENAI_API_KEY");
    // Only the raw resolve over buf curl hands a value out; nothing secretsctl printed holds one.
    const secretsctlOutput = blocks.filter((b) => /secretsctl/.test(b.code) && !/buf curl/.test(b.code)).map((b) => outputs.get(b.line) ?? "");
    expect(secretsctlOutput.join("\n")).not.toContain("sk-proj-0123456789abcdef");
  }, 300_000);
});
