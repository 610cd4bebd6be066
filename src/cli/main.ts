import { Command, CommanderError } from "commander";
import { describeFailure } from "./exit-codes.js";
import { withDatabase } from "./local.js";
import { kekCommands } from "./kek-commands.js";
import { secretsCommands } from "./secrets-commands.js";
import { tokenCommands } from "./token-commands.js";

const program = new Command("secretsctl")
  .description("operate the secrets service: tokens, keys, migrations, secrets")
  .showHelpAfterError()
  .exitOverride();

program
  .command("serve")
  .description("run the service (same as npm start)")
  .action(async () => {
    await import("../main.js");
  });

program
  .command("migrate")
  .description("apply pending database migrations (the server also does this at start)")
  .action(async () => {
    // Opening the database applies what is pending.
    const kind = await withDatabase(async (db) => db.kind);
    process.stderr.write(`migrations applied (${kind})\n`);
  });

tokenCommands(program);
kekCommands(program);
secretsCommands(program);

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
