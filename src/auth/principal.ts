export type Role = "admin" | "user" | "service";

export const ROLES: readonly Role[] = ["admin", "user", "service"];

/** Who is calling: set once per call by authentication, read by the policy. */
export interface Principal {
  subject: string;
  roles: readonly Role[];
}

export const hasRole = (p: Principal, role: Role): boolean => p.roles.includes(role);

/** A principal in the context of one call: what audit and rate limits need besides identity. */
export interface Caller {
  principal: Principal;
  requestId: string;
  peer: string;
}
