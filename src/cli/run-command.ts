import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Command } from "commander";
import which from "which";
import { API_ENV_HELP } from "./api.js";
import { CliError, EXIT, EXIT_HELP } from "./exit-codes.js";
import { helpAfter } from "./help.js";
import { type OutputFormat, outputOption, printObject } from "./output.js";
import { NAMING_HELP, type ResolutionOptions, addResolutionOptions, resolveVariables } from "./resolution.js";

interface RunOptions extends ResolutionOptions {
  override?: boolean;
  dryRun?: boolean;
  output: OutputFormat;
}

/**
 * `secretsctl run … -- command`: the resource's secrets in a command's
 * environment, and nowhere else. Everything that can refuse is checked
 * before the command starts; once it runs, its exit code is secretsctl's.
 */
export function runCommand(program: Command): void {
  const cmd = addResolutionOptions(
    program
      .command("run")
      .description("run a command with a resource's secrets in its environment (values never on its command line nor in secretsctl's output)")
      .argument("[command...]", "the command and its arguments (after --, or after run's own options: what follows the command is the command's)")
      .passThroughOptions(),
  )
    .option("--override", "let a resolved variable replace one already set in the environment (default: refuse)")
    .option("--dry-run", "check everything and list the variable names it would set (never the values), without running anything")
    .addOption(outputOption());
  helpAfter(
    cmd,
    [
      "secretsctl run --resource SCORER_JOB/scorer-123 -- python score.py",
      "secretsctl run --resource-type SCORER_JOB --resource-id scorer-123 --field-name OPENAI_API_KEY -- ./job.sh --fast",
      "secretsctl run --resource ENDPOINT/bedrock --prefix APP_ --dry-run",
    ],
    `${NAMING_HELP}\n${API_ENV_HELP}\n
Signals: SIGTERM, and SIGINT when secretsctl's stdin is not a terminal, are passed on to the command (on a terminal, Ctrl-C already reaches it).
${EXIT_HELP}`,
  );
  cmd.action(async (command: string[], opts: RunOptions) => {
    const [file, ...args] = command;
    if (file === undefined && !opts.dryRun) throw new CliError("give the command to run after --, e.g. secretsctl run --resource SCORER_JOB/scorer-123 -- python score.py", EXIT.usage);
    // Before any value is fetched: a resolve is audited as handing the values out.
    if (file !== undefined && !(await which(file, { nothrow: true }))) throw new CliError(`${file}: command not found (or not executable)`, EXIT.commandNotFound);
    const variables = await resolveVariables(opts);
    const taken = variables.filter((v) => process.env[v.name] !== undefined).map((v) => v.name);
    if (taken.length > 0 && !opts.override) {
      throw new CliError(`${taken.join(", ")} ${taken.length === 1 ? "is" : "are"} already set in the environment; secretsctl run replaces a variable only with --override`, EXIT.envOverwrite);
    }
    if (opts.dryRun) {
      if (opts.output === "json") printObject(variables.map((v) => v.name), "json");
      else process.stdout.write(variables.map((v) => `${v.name}\n`).join(""));
      return;
    }
    const env = { ...process.env, ...Object.fromEntries(variables.map((v) => [v.name, v.value])) };
    process.exitCode = await runChild(file!, args, env);
  });
}

/** Runs the command with the terminal's stdio and resolves with its exit code, or 128 + the signal's number. */
function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: "inherit", env });
    // On a terminal, Ctrl-C signals the whole foreground process group, the command included: passing it on would make two.
    const forwarded: NodeJS.Signals[] = process.stdin.isTTY ? ["SIGTERM"] : ["SIGTERM", "SIGINT"];
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    // secretsctl outlives a Ctrl-C it ignores, to report the command's exit.
    const ignore = () => {};
    for (const s of forwarded) process.on(s, forward);
    if (process.stdin.isTTY) process.on("SIGINT", ignore);
    const done = () => {
      for (const s of forwarded) process.off(s, forward);
      process.off("SIGINT", ignore);
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      done();
      // Node's own message quotes the arguments; the code alone says enough.
      reject(new CliError(`cannot start ${file}: ${err.code}`, err.code === "ENOENT" ? EXIT.commandNotFound : EXIT.cannotExecute));
    });
    child.once("exit", (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
