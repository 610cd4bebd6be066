import type { SecretValue } from "./validation.js";

/** A credential as written: what a provider's rules check. */
export interface CredentialInput {
  provider: string | null;
  model: string | null;
  /** undefined on an update that keeps the stored value. */
  value: SecretValue | undefined;
  authConfig: Record<string, string>;
}

/** What the rules found: whether the provider and model are known, and which auth mode the value fits. */
export interface CredentialFindings {
  catalogued: boolean;
  /** undefined when no model was given. */
  modelCatalogued: boolean | undefined;
  authMode: string;
}

/**
 * The provider rules secrets are written under (implemented by the provider
 * catalog): throws INVALID_ARGUMENT naming the field, never a value.
 */
export interface CredentialRules {
  check(input: CredentialInput): CredentialFindings;
}
