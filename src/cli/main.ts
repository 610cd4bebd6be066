import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { auditCommand } from "./audit-command.js";
import { EXIT_HELP, describeFailure } from "./exit-codes.js";
import { configureHelp, helpAfter } from "./help.js";
import { LOCAL_ENV_HELP, addInitOption, withDatabase } from "./local.js";
import { gatewayCommands } from "./gateway-commands.js";
import { kekCommands } from "./kek-commands.js";
import { type OutputFormat, outputOption, printObject } from "./output.js";
import { resolveCommand } from "./resolve-command.js";
import { runCommand } from "./run-command.js";
import { secretsCommands } from "./secrets-commands.js";
import { tokenCommands } from "./token-commands.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("secretsctl")
  .description("operate the secrets service: secrets, bindings and resolves through its API; tokens, keys and migrations on its database")
  .version(version, "-V, --version", "print secretsctl's version")
  // Program options (--version, --init) only before the command: `kek activate --version 2` is kek's.
  .enablePositionalOptions()
  .showHelpAfterError()
  .exitOverride();
configureHelp(program);
addInitOption(program);
program.addHelpText(
  "after",
  `
Commands that call the API read SECRETS_TOKEN and SECRETS_SERVER (or SECRETS_ADDR); token, kek, rewrap
and migrate open the database the server uses (DATABASE_URL, else SECRETS_DATA_DIR), say which, and
create none unless --init is given (secretsctl --init token create …).
${EXIT_HELP}`,
);

helpAfter(program.command("serve").description("run the service (same as npm start; configured by the environment variables the README lists)"), [
  "secretsctl serve                      # embedded database under ./data, on 127.0.0.1:50051",
  "SECRETS_ADDR=0.0.0.0:50051 DATABASE_URL=postgres://secrets@db.internal/secrets secretsctl serve",
]).action(async () => {
    await import("../main.js");
  });

helpAfter(
  program.command("migrate").description("apply pending database migrations (the server also does this at start)"),
  ["secretsctl migrate", "DATABASE_URL=postgres://secrets@db.internal/secrets secretsctl --init migrate    # a new, empty database"],
  LOCAL_ENV_HELP,
)
  .addOption(outputOption())
  .action(async (opts: { output: OutputFormat }) => {
    // Opening the database applies what is pending.
    const kind = await withDatabase(async (db) => db.kind);
    if (opts.output === "json") printObject({ database: kind, migrated: true }, "json");
    process.stderr.write(`migrations applied (${kind})\n`);
  });

tokenCommands(program);
gatewayCommands(program);
kekCommands(program);
secretsCommands(program);
resolveCommand(program);
runCommand(program);
auditCommand(program);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const { message, exitCode } = describeFailure(err);
    process.stderr.write(`secretsctl: ${message}\n`);
    process.exitCode = exitCode;
  }
}
