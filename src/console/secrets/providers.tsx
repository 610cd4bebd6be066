/**
 * Common providers until the service has a provider catalog (ListProviders
 * does not exist yet): suggestions only, any provider name may be typed.
 * A provider with `fields` takes a multi-field value.
 */
export interface ProviderPreset {
  name: string;
  fields?: string[];
  config?: string[];
}

export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  { name: "openai" },
  { name: "anthropic" },
  { name: "gemini" },
  { name: "mistral" },
  { name: "cohere" },
  { name: "groq" },
  { name: "databricks", config: ["api_base"] },
  { name: "azure", config: ["api_base", "api_version"] },
  { name: "bedrock", fields: ["aws_access_key_id", "aws_secret_access_key"], config: ["aws_region_name"] },
];

export function presetOf(provider: string): ProviderPreset | undefined {
  return PROVIDER_PRESETS.find((p) => p.name === provider.trim().toLowerCase());
}

/** The environment variable a provider's key usually goes in: OPENAI_API_KEY for openai. */
export function defaultFieldName(provider: string): string {
  const p = provider.trim().toUpperCase().replace(/[^A-Z0-9]+/g, "_");
  return p ? `${p}_API_KEY` : "";
}

export const PROVIDER_LIST_ID = "provider-suggestions";

export function ProviderSuggestions() {
  return (
    <datalist id={PROVIDER_LIST_ID}>
      {PROVIDER_PRESETS.map((p) => (
        <option key={p.name} value={p.name} />
      ))}
    </datalist>
  );
}
