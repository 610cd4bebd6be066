import type { CredentialFindings, CredentialInput, CredentialRules } from "../secrets/credential-rules.js";
import { invalid } from "../secrets/errors.js";
import type { AuthField, AuthMode } from "./auth-modes.js";
import type { ProviderCatalog } from "./catalog.js";

const AUTH_MODE_KEY = "auth_mode";

/**
 * A known provider's credential must fit one of its auth modes: its secret
 * fields in the value (by name, or by their usual environment variable), its
 * required config fields in auth_config, and no secret field in auth_config,
 * which is stored in clear. An unknown provider takes any fields (and is
 * reported as not catalogued); an unknown model is allowed (new models appear
 * weekly) and reported too.
 */
export class CatalogCredentialRules implements CredentialRules {
  constructor(private readonly catalog: ProviderCatalog) {}

  check(input: CredentialInput): CredentialFindings {
    const modelCatalogued = input.model ? (input.provider ? this.catalog.hasModel(input.provider, input.model) : false) : undefined;
    const provider = input.provider ? this.catalog.provider(input.provider) : undefined;
    if (!provider) return { catalogued: false, modelCatalogued, authMode: "" };
    for (const key of Object.keys(input.authConfig)) {
      const secretOf = provider.authModes.find((m) => m.secretFields.some((f) => matches(f, key)));
      if (secretOf) throw invalid(`auth_config["${key}"] is a secret field of ${provider.id} (${secretOf.name}): put it in the value, where it is encrypted`);
    }
    const named = input.authConfig[AUTH_MODE_KEY];
    const candidates = named === undefined ? provider.authModes : provider.authModes.filter((m) => m.name === named);
    if (named !== undefined && candidates.length === 0) throw invalid(`auth_config.auth_mode must be one of ${provider.authModes.map((m) => m.name).join(", ")} for ${provider.id}`);
    if (input.value === undefined) return { catalogued: true, modelCatalogued, authMode: named ?? "" };
    const problems = candidates.map((mode) => ({ mode, problem: problemOf(mode, input.value!, input.authConfig) }));
    const fit = problems.find((p) => p.problem === undefined);
    if (fit) return { catalogued: true, modelCatalogued, authMode: fit.mode.name };
    // Said against the mode asked for, or the provider's default one.
    const { mode, problem } = problems[0]!;
    throw invalid(`a ${provider.id} credential (auth mode ${mode.name}) ${problem}`);
  }
}

function problemOf(mode: AuthMode, value: NonNullable<CredentialInput["value"]>, authConfig: Record<string, string>): string | undefined {
  const required = mode.secretFields.filter((f) => f.required);
  if ("value" in value) {
    // One string stands for the mode's one secret field.
    if (mode.secretFields.length === 0) return "takes no secret value";
    if (required.length > 1) return `needs the fields ${required.map((f) => f.name).join(", ")}: give them as secret_fields`;
  } else {
    const keys = Object.keys(value.fields);
    const unknown = keys.find((k) => !mode.secretFields.some((f) => matches(f, k)));
    if (unknown) return `has no field "${unknown}" (its fields: ${mode.secretFields.map((f) => f.name).join(", ")})`;
    const missing = required.find((f) => !keys.some((k) => matches(f, k)));
    if (missing) return `is missing the required field "${missing.name}"`;
  }
  const missingConfig = mode.configFields.find((f) => f.required && f.defaultValue === undefined && !authConfig[f.name]);
  if (missingConfig) return `is missing the required auth_config field "${missingConfig.name}" (${missingConfig.description})`;
  return undefined;
}

const matches = (f: AuthField, key: string) => f.name === key || (f.envVar !== undefined && f.envVar === key);
