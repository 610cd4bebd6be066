import type { CredentialRules } from "../secrets/credential-rules.js";
import type { SecretValue } from "../secrets/validation.js";
import { providerCheckToProto } from "./provider-converters.js";

/** The value a request wrote, as the provider rules read it; undefined when it wrote none. */
export function valueOf(req: { secretValue?: string; secretFields: Record<string, string> }): SecretValue | undefined {
  if (req.secretValue !== undefined) return { value: req.secretValue };
  return Object.keys(req.secretFields).length > 0 ? { fields: req.secretFields } : undefined;
}

/**
 * What the catalog says of what was just written (the domain has already
 * refused anything that breaks a known provider's rules), for the response.
 */
export function providerCheckOf(rules: CredentialRules, written: { provider: string | null; model: string | null; authConfig: Record<string, string> }, value: SecretValue | undefined) {
  return providerCheckToProto(rules.check({ ...written, value }));
}
