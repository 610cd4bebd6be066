/**
 * The environment variable an API key created through MLflow's gateway
 * routes is meant for, when the request does not say: MLflow has no
 * field_name, and a provider's keys conventionally live in <PROVIDER>_API_KEY.
 */
export function defaultFieldName(provider: string): string {
  const stem = provider.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return stem && !/^\d/.test(stem) ? `${stem}_API_KEY` : "API_KEY";
}
