import type { ResolvedSecret } from "../../gen/secrets/v1/service_pb.js";

/**
 * How resolved secrets become environment variables, the one rule both
 * `secretsctl run` and `resolveEnv` follow:
 *
 * - a single-value secret becomes one variable named by its binding's
 *   field_name (`OPENAI_API_KEY=…`);
 * - a multi-field secret becomes one variable per field, named by the field's
 *   key as written (`AWS_ACCESS_KEY_ID=…`, `AWS_SECRET_ACCESS_KEY=…`): those
 *   keys are what the consuming SDKs read, and the binding's field_name only
 *   names the binding;
 * - a prefix, when given, is put in front of every name.
 *
 * Refused, never half-applied: a name that is not a portable variable name,
 * two variables of the same name, a value an environment cannot hold, and a
 * resource with nothing bound.
 */

/** POSIX portable environment variable names. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type EnvMappingProblem = "invalid-name" | "invalid-value" | "collision" | "no-binding";

/** Why resolved secrets cannot become an environment. Its message names variables, bindings and secrets, never a value. */
export class EnvMappingError extends Error {
  override name = "EnvMappingError";
  constructor(
    readonly problem: EnvMappingProblem,
    message: string,
  ) {
    super(message);
  }
}

/** One variable and where it comes from. */
export interface EnvVariable {
  name: string;
  value: string;
  /** The binding's field_name. */
  fieldName: string;
  /** For a multi-field secret: the field's key. */
  key?: string;
  secretId: string;
  secretName: string;
  /** The value version handed out. */
  version: number;
}

export interface EnvMappingOptions {
  /** Put in front of every variable name. */
  prefix?: string;
  /** For messages, e.g. "SCORER_JOB/job-42". */
  resource: string;
}

export function toEnvVariables(secrets: readonly ResolvedSecret[], options: EnvMappingOptions): EnvVariable[] {
  if (secrets.length === 0) throw new EnvMappingError("no-binding", `${options.resource} has no bindings: there is nothing to put in the environment`);
  const prefix = options.prefix ?? "";
  const byName = new Map<string, EnvVariable>();
  for (const s of secrets) {
    const keys = Object.keys(s.fields).sort();
    const entries: Array<[key: string | undefined, value: string]> = keys.length > 0 ? keys.map((k) => [k, s.fields[k]!]) : [[undefined, s.value]];
    for (const [key, value] of entries) {
      const variable: EnvVariable = { name: `${prefix}${key ?? s.fieldName}`, value, fieldName: s.fieldName, key, secretId: s.secretId, secretName: s.secretName, version: s.version };
      if (!ENV_NAME.test(variable.name)) {
        throw new EnvMappingError(
          "invalid-name",
          `${origin(variable)} would be the variable ${JSON.stringify(variable.name)}, which is not an environment variable name (letters, digits and _, not starting with a digit)`,
        );
      }
      // exec refuses a NUL in the environment, and Node's refusal quotes the value.
      if (value.includes("\0")) throw new EnvMappingError("invalid-value", `the value of ${variable.name} (${origin(variable)}) contains a NUL character, which an environment variable cannot hold`);
      const taken = byName.get(variable.name);
      if (taken) throw new EnvMappingError("collision", `${variable.name} would be set twice on ${options.resource}: by ${origin(taken)} and by ${origin(variable)}`);
      byName.set(variable.name, variable);
    }
  }
  return [...byName.values()];
}

function origin(v: EnvVariable): string {
  const binding = `the binding ${v.fieldName} (secret ${JSON.stringify(v.secretName)}, ${v.secretId})`;
  return v.key === undefined ? binding : `field ${JSON.stringify(v.key)} of ${binding}`;
}
