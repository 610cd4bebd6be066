import type { ApiTokens } from "../auth/api-tokens.js";
import type { TokenStore } from "../store/token-store.js";

/** Fixed id, so that replicas starting together on an empty database create one bootstrap token, not several. */
const BOOTSTRAP_TOKEN_ID = "00000000-0000-7000-8000-000000000001";

/**
 * Secure first start: when no token exists yet, registers an admin token —
 * the configured one, or a new random one that is returned to be shown once.
 */
export async function ensureBootstrapToken(store: TokenStore, apiTokens: ApiTokens, configured: string | undefined): Promise<string | undefined> {
  if (await store.hasAny()) return undefined;
  const issued = await apiTokens.issue({ id: BOOTSTRAP_TOKEN_ID, name: "bootstrap-admin", role: "admin", createdBy: "bootstrap", token: configured });
  return issued && !configured ? issued.token : undefined;
}
