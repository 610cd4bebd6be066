import { type Command, Help, type Option } from "commander";

/**
 * Help every command shares: mandatory options say "(required)" (commander
 * enforces them but does not say so), and a command's help lists the
 * options of the groups above it, such as --server on `secrets …`.
 */
export function configureHelp(program: Command): void {
  program.configureHelp({
    showGlobalOptions: true,
    optionDescription(this: Help, option: Option) {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
}

/** Examples, and the environment variables the command reads, after its --help. */
export function helpAfter(cmd: Command, examples: readonly string[], env?: string): Command {
  const parts = [`\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}`];
  if (env) parts.push(env);
  return cmd.addHelpText("after", parts.join("\n"));
}
