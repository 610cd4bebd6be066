import { Code, ConnectError } from "@connectrpc/connect";
import { type Command, Option } from "commander";
import type { EnvVariable } from "../client/secrets-client.js";
import { type ApiOptions, addApiOptions, apiClient } from "./api.js";
import { CliError, EXIT } from "./exit-codes.js";
import { type ResourceFlags, addResourceTypeIdOptions, requireResource } from "./resource-flags.js";

/** What `run` and `resolve` share: which resource, which of its bindings, and how variables are named. */
export interface ResolutionOptions extends ApiOptions, ResourceFlags {
  resource?: string;
  fieldName: string[];
  prefix?: string;
}

export const NAMING_HELP = `
Variables: a single-value secret becomes one variable named by its binding's field (OPENAI_API_KEY=…);
a multi-field secret becomes one variable per field, named by the field's key as stored
(AWS_ACCESS_KEY_ID=…, AWS_SECRET_ACCESS_KEY=…). --prefix goes in front of every name.`;

export function addResolutionOptions(cmd: Command): Command {
  return addApiOptions(
    addResourceTypeIdOptions(cmd.option("--resource <TYPE/ID>", "(required, or --resource-type and --resource-id) the resource whose bindings to resolve, e.g. SCORER_JOB/scorer-123")),
  )
    .addOption(
      new Option("--field-name <FIELD>", "only this binding; repeat for several")
        .argParser((v: string, all: string[]) => [...all, v])
        .default([], "every binding of the resource"),
    )
    .option("--prefix <PREFIX>", "put this in front of every variable name, e.g. APP_");
}

/** The resource's variables, with each refusal turned into its own exit code. */
export async function resolveVariables(opts: ResolutionOptions): Promise<EnvVariable[]> {
  const { resourceType, resourceId } = requireResource(opts.resource, opts, "--resource");
  try {
    return await apiClient(opts).resolveVariables(resourceType, resourceId, { fieldNames: opts.fieldName, prefix: opts.prefix });
  } catch (err) {
    // A resolve is refused with FAILED_PRECONDITION for one reason only: a revoked secret is bound there.
    if (err instanceof ConnectError && err.code === Code.FailedPrecondition) {
      throw new CliError(`${err.rawMessage} (secretsctl: --field-name picks the bindings that are still good)`, EXIT.revoked);
    }
    throw err;
  }
}
