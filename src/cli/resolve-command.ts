import type { Command } from "commander";
import { maskValue } from "../crypto/masking.js";
import { API_ENV_HELP } from "./api.js";
import { EXIT_HELP } from "./exit-codes.js";
import { helpAfter } from "./help.js";
import { type OutputFormat, outputOption, printRows } from "./output.js";
import { NAMING_HELP, type ResolutionOptions, addResolutionOptions, resolveVariables } from "./resolution.js";

/** `secretsctl resolve`: what `run` would put in the environment, masked unless the values are asked for by name. */
export function resolveCommand(program: Command): void {
  const cmd = addResolutionOptions(program.command("resolve").description("show the variables a resource's bindings resolve to, with masked values (the values only with --show-values)"))
    .option("--show-values", "print the values themselves, in clear")
    .addOption(outputOption());
  helpAfter(
    cmd,
    ["secretsctl resolve --resource SCORER_JOB/scorer-123", "secretsctl resolve --resource-type ENDPOINT --resource-id bedrock --field-name AWS -o json"],
    `${NAMING_HELP}\n${API_ENV_HELP}\n${EXIT_HELP}`,
  );
  cmd.action(async (opts: ResolutionOptions & { showValues?: boolean; output: OutputFormat }) => {
    const variables = await resolveVariables(opts);
    printRows(
      variables.map((v) => ({
        variable: v.name,
        field_name: v.fieldName,
        ...(v.key !== undefined && { key: v.key }),
        secret_name: v.secretName,
        secret_id: v.secretId,
        version: v.version,
        ...(opts.showValues ? { value: v.value } : { masked_value: maskValue(v.value) }),
      })),
      opts.output,
      ["variable", "field_name", "secret_name", "version", opts.showValues ? "value" : "masked_value"],
    );
  });
}
