import { type Rpc, mayCall } from "../auth/policy.js";
import type { Caller } from "../auth/principal.js";
import { ServiceError } from "./errors.js";

/** Refuses a call whose role the RPC table does not admit. */
export function authorize(caller: Caller, rpc: Rpc): void {
  if (!mayCall(caller.principal, rpc)) {
    throw new ServiceError("PERMISSION_DENIED", `${rpc} is not allowed for role ${caller.principal.roles.join(", ") || "none"}`);
  }
}
