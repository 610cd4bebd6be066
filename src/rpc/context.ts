import { type HandlerContext, createContextKey } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "../auth/principal.js";

/** Set by the authentication interceptor; the one place handlers learn who calls. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "authenticated principal" });

/** Facts about the call that logging and audit need. */
export interface CallInfo {
  requestId: string;
  peer: string;
}

export const callInfoKey = createContextKey<CallInfo>({ requestId: "", peer: "" }, { description: "call info" });

export function principalOf(ctx: HandlerContext): Principal {
  const p = ctx.values.get(principalKey);
  // Only reachable if a route is mounted without the auth interceptor: fail closed.
  if (!p) throw new ConnectError("unauthenticated", Code.Unauthenticated);
  return p;
}
