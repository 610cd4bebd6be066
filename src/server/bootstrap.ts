import { ApiTokens } from "../auth/api-tokens.js";
import type { TokenStore } from "../store/token-store.js";

/** Fixed, so that the bootstrap token is recognisable in `secretsctl token list`. */
const BOOTSTRAP_TOKEN_ID = "00000000-0000-7000-8000-000000000001";

/**
 * Secure first start: when no token exists yet, registers an admin token —
 * the configured one, or a new random one handed to `show`.
 *
 * Called once the port listens, so that the token can be used as soon as it
 * is seen. `show` runs before the token's row commits: a process that dies
 * in between leaves no token behind, and the next start creates and shows a
 * new one. The other order could commit a token nobody ever saw, and with no
 * other admin credential that loses the service's administration. (What can
 * still happen: the token is shown and the commit fails; it then does not
 * work, and the next start shows a new one.)
 */
export async function ensureBootstrapToken(store: TokenStore, configured: string | undefined, show: (token: string) => void): Promise<void> {
  await store.bootstrapTransaction(async (tx) => {
    if (await tx.hasAny()) return;
    const issued = await new ApiTokens({ store: tx }).issue({ id: BOOTSTRAP_TOKEN_ID, name: "bootstrap-admin", role: "admin", createdBy: "bootstrap", token: configured });
    if (issued && !configured) show(issued.token);
  });
}
