import { type Principal, hasRole } from "./principal.js";

/** The facts about a secret that access decisions depend on. */
export interface SecretFacts {
  isShared: boolean;
  createdBy: string;
}

const isAdmin = (p: Principal) => hasRole(p, "admin");
const isOwner = (p: Principal, s: SecretFacts) => s.createdBy === p.subject;

/**
 * Who may do what to a secret, in one table. A principal that may not `see`
 * a secret is told it does not exist (NOT_FOUND), so that private secrets do
 * not reveal their existence; one that may see but not act gets PERMISSION_DENIED.
 */
const secretRules = {
  see: (p: Principal, s: SecretFacts) => s.isShared || isOwner(p, s) || isAdmin(p),
  modify: (p: Principal, s: SecretFacts) => isOwner(p, s) || isAdmin(p),
  bind: (p: Principal, s: SecretFacts) => s.isShared || isOwner(p, s) || isAdmin(p),
} as const;

export type SecretAction = keyof typeof secretRules;

export function allowed(p: Principal, action: SecretAction, secret: SecretFacts): boolean {
  return secretRules[action](p, secret);
}

/** Decrypted values go to services and admins only. */
export function mayResolve(p: Principal): boolean {
  return hasRole(p, "service") || isAdmin(p);
}

/** The owner whose private secrets a principal's lists include; undefined means all of them. */
export function listScope(p: Principal): string | undefined {
  return isAdmin(p) ? undefined : p.subject;
}
