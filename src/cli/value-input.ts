import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { CliError, EXIT } from "./exit-codes.js";

/**
 * Secret values come from stdin or a file, never from the command line,
 * where they would stay in shell history and in every process listing.
 */
export async function readValue(opts: { value?: string | true; valueFile?: string; fields?: boolean }): Promise<string> {
  refuseValueArgument(opts.value);
  let text: string;
  if (opts.valueFile) {
    text = await readFile(opts.valueFile, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${opts.valueFile}: ${err.code}`, EXIT.usage);
    });
  } else if (process.stdin.isTTY) {
    text = await readHidden(opts.fields ? "value, a JSON object of strings on one line (not shown as you type; Enter ends it): " : "value (not shown as you type; Enter ends it): ");
    process.stderr.write(`read ${Array.from(text).length} characters\n`);
  } else {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
  }
  // One trailing newline is the shell's (echo, heredoc), not the secret's.
  return text.replace(/\r?\n$/, "");
}

/** `--value` alone means "from stdin", as in MLflow's `--value`; a value after it is refused, unused. */
export function refuseValueArgument(value: string | true | undefined): void {
  if (typeof value === "string") {
    throw new CliError(
      "secretsctl does not take a value on the command line (it would stay in shell history and be visible to every process): pipe it on stdin, type it at the prompt, or use --value-file",
      EXIT.usage,
    );
  }
}

/**
 * One line from the terminal with echo off: readline puts the terminal in
 * raw mode and writes what it would echo to a sink, so the value never
 * reaches the screen or the scrollback.
 */
async function readHidden(prompt: string): Promise<string> {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: sink, terminal: true, historySize: 0 });
  // Only now, with echo off: what is typed once the prompt shows is never echoed.
  process.stderr.write(prompt);
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      rl.once("SIGINT", () => reject(new CliError("cancelled", EXIT.interrupted)));
      rl.once("close", () => reject(new CliError("no value was entered", EXIT.usage)));
    });
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

export function parseFields(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError("with --fields the value must be a JSON object of strings", EXIT.usage);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string")) {
    throw new CliError("with --fields the value must be a JSON object of strings", EXIT.usage);
  }
  return parsed as Record<string, string>;
}
