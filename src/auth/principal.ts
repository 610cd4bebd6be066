export type Role = "admin" | "user" | "service";

export const ROLES: readonly Role[] = ["admin", "user", "service"];

/** Who is calling: set once per call by authentication, read by the policy. */
export interface Principal {
  subject: string;
  roles: readonly Role[];
  /** How the caller proved who it is; unset for principals made in process (tests, the CLI). */
  credential?: Credential;
}

/** expiresAt: milliseconds since the epoch, null = never. */
export type Credential = { kind: "api_token"; id: string; expiresAt: number | null } | { kind: "jwt"; issuer: string; expiresAt: number | null };

export const hasRole = (p: Principal, role: Role): boolean => p.roles.includes(role);

/** A principal in the context of one call: what audit and rate limits need besides identity. */
export interface Caller {
  principal: Principal;
  requestId: string;
  peer: string;
}
