import { Code, ConnectError, type HandlerContext, createContextKey } from "@connectrpc/connect";
import type { Caller, Principal } from "../auth/principal.js";

/** Set by admission (src/server/admission.ts) on every path; the one place handlers learn who calls. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "authenticated principal" });

/** Facts about the call that logging and audit need. */
export interface CallInfo {
  requestId: string;
  peer: string;
}

export const callInfoKey = createContextKey<CallInfo>({ requestId: "", peer: "" }, { description: "call info" });

/** A call admission refused, for connect-node to answer in the call's own protocol. */
export const refusalKey = createContextKey<ConnectError | undefined>(undefined, { description: "admission refusal" });

/** The authenticated caller of this call, with its request id and peer address. */
export function callerOf(ctx: HandlerContext): Caller {
  const principal = ctx.values.get(principalKey);
  // Only reachable if a path serves a call without admission: fail closed.
  if (!principal) throw new ConnectError("unauthenticated", Code.Unauthenticated);
  return { principal, ...ctx.values.get(callInfoKey) };
}
