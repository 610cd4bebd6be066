import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SECRETSCTL = fileURLToPath(new URL("../../bin/secretsctl.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The whole environment besides PATH: nothing of the test runner's leaks in. */
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
}

/** secretsctl as its own process, as an operator runs it. */
export function spawnSecretsctl(args: readonly string[], options: CliOptions = {}): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [SECRETSCTL, ...args], { cwd: options.cwd ?? ROOT, env: { PATH: process.env.PATH ?? "", ...options.env } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c) => (stdout += c));
  child.stderr!.on("data", (c) => (stderr += c));
  child.stdin!.end(options.stdin ?? "");
  const result = new Promise<CliResult>((resolve) => child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return { child, result };
}

export function secretsctl(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnSecretsctl(args, options).result;
}
