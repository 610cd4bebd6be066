import { type Principal, type Role, hasRole } from "./principal.js";

/** The facts about a secret that access decisions depend on. */
export interface SecretFacts {
  isShared: boolean;
  createdBy: string;
}

const isAdmin = (p: Principal) => hasRole(p, "admin");
const isOwner = (p: Principal, s: SecretFacts) => s.createdBy === p.subject;

/** What a principal may do to one secret it is acting on. */
const secretRules = {
  see: (p: Principal, s: SecretFacts) => s.isShared || isOwner(p, s) || isAdmin(p),
  modify: (p: Principal, s: SecretFacts) => isOwner(p, s) || isAdmin(p),
  // Shared secrets exist to be bound: any user may bind one to a resource.
  bind: (p: Principal, s: SecretFacts) => s.isShared || isOwner(p, s) || isAdmin(p),
} as const;

export type SecretAction = keyof typeof secretRules;

const ANYONE: readonly Role[] = ["admin", "user", "service"];
const PEOPLE: readonly Role[] = ["admin", "user"];

/**
 * Every RPC's rule in one table: the roles that may call it at all, and what
 * the caller must be allowed to do to the secret it names. A principal that
 * may not `see` a secret is told it does not exist (NOT_FOUND), so private
 * secrets never reveal their existence; one that may see but not act gets
 * PERMISSION_DENIED. `write` marks the RPCs that change stored state: they
 * count against the stricter per-principal write rate.
 */
export const RPC_POLICY = {
  CreateAndBindSecret: { roles: PEOPLE, write: true },
  CreateSecret: { roles: PEOPLE, write: true },
  GetSecret: { roles: ANYONE, secret: "see" },
  ListSecrets: { roles: ANYONE },
  UpdateSecret: { roles: PEOPLE, secret: "modify", write: true },
  RevokeSecret: { roles: PEOPLE, secret: "modify", write: true },
  DeleteSecret: { roles: PEOPLE, secret: "modify", write: true },
  BindSecret: { roles: PEOPLE, secret: "bind", write: true },
  // Also the binding's own creator: see SecretsService.unbindSecret.
  UnbindSecret: { roles: PEOPLE, secret: "modify", write: true },
  GetBinding: { roles: ANYONE, secret: "see" },
  ListBindings: { roles: ANYONE },
  // Values go to services (and admins) only; any bound secret, private ones included.
  ResolveResourceSecrets: { roles: ["admin", "service"] },
  ListAuditEvents: { roles: ["admin"] },
  GetKeyringStatus: { roles: ["admin"] },
} as const satisfies Record<string, { roles: readonly Role[]; secret?: SecretAction; write?: true }>;

/** Services any caller may use without credentials, and without counting against any limit: health probes and schema discovery. */
export const OPEN_SERVICES: ReadonlySet<string> = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

export type Rpc = keyof typeof RPC_POLICY;

export function mayCall(p: Principal, rpc: Rpc): boolean {
  return RPC_POLICY[rpc].roles.some((r) => hasRole(p, r));
}

/** Whether an RPC (by method name) changes stored state. */
export function isWrite(rpc: string): boolean {
  return (RPC_POLICY as Record<string, { write?: true }>)[rpc]?.write === true;
}

/** Admins are trusted with the whole service: no per-principal rate or share of the in-flight calls applies to them. */
export const exemptFromPrincipalLimits = (p: Principal): boolean => isAdmin(p);

export function allowed(p: Principal, action: SecretAction, secret: SecretFacts): boolean {
  return secretRules[action](p, secret);
}

/** The owner whose private secrets a principal's lists include; undefined means all of them. */
export function listScope(p: Principal): string | undefined {
  return isAdmin(p) ? undefined : p.subject;
}
