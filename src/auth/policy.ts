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

/** The facts about a resource (a job, an endpoint) that access decisions depend on, for one principal. */
export interface ResourceFacts {
  /** undefined while nobody has bound to it: the first to do so becomes its owner. */
  owner: string | undefined;
  /** The principal holds a grant from the owner. */
  granted: boolean;
}

const isResourceOwner = (p: Principal, r: ResourceFacts) => r.owner === p.subject;

/**
 * What a principal may do to a resource. Whoever may bind to a resource
 * decides what its job receives, so binding is its owner's (and grantees')
 * alone; a service may read what is bound, since it resolves the values
 * anyway, but never bind: a service that could bind any private secret to a
 * resource it resolves could read every secret.
 */
const resourceRules = {
  use: (p: Principal, r: ResourceFacts) => r.owner === undefined || isResourceOwner(p, r) || r.granted || isAdmin(p),
  read: (p: Principal, r: ResourceFacts) => r.owner === undefined || isResourceOwner(p, r) || r.granted || isAdmin(p) || hasRole(p, "service"),
  govern: (p: Principal, r: ResourceFacts) => r.owner === undefined || isResourceOwner(p, r) || isAdmin(p),
} as const;

export type ResourceAction = keyof typeof resourceRules;

/** A gateway model definition: private when its secret is. */
export interface ModelDefinitionFacts {
  createdBy: string;
  /** undefined once its secret was deleted. */
  secret: SecretFacts | undefined;
}

/** A gateway endpoint: private when any of its model definitions is. */
export interface EndpointFacts {
  createdBy: string;
  models: readonly ModelDefinitionFacts[];
}

const seeModel = (p: Principal, m: ModelDefinitionFacts) =>
  isAdmin(p) || m.createdBy === p.subject || (m.secret !== undefined && (m.secret.isShared || m.secret.createdBy === p.subject));

/**
 * The gateway's objects follow the secrets they use: a model definition on a
 * private secret is as invisible to others as the secret (NOT_FOUND), and so
 * is an endpoint that uses one. Using one (in an endpoint) needs seeing it;
 * changing one needs being its creator or an admin.
 */
const gatewayRules = {
  model: {
    see: seeModel,
    modify: (p: Principal, m: ModelDefinitionFacts) => isAdmin(p) || m.createdBy === p.subject,
  },
  endpoint: {
    see: (p: Principal, e: EndpointFacts) => isAdmin(p) || e.createdBy === p.subject || e.models.every((m) => seeModel(p, m)),
    modify: (p: Principal, e: EndpointFacts) => isAdmin(p) || e.createdBy === p.subject,
  },
} as const;

export type GatewayAction = "see" | "modify";

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
  CreateAndBindSecret: { roles: PEOPLE, resource: "use", write: true },
  CreateSecret: { roles: PEOPLE, write: true },
  GetSecret: { roles: ANYONE, secret: "see" },
  ListSecrets: { roles: ANYONE },
  ListSecretVersions: { roles: ANYONE, secret: "see" },
  UpdateSecret: { roles: PEOPLE, secret: "modify", write: true },
  RevokeSecret: { roles: PEOPLE, secret: "modify", write: true },
  DeleteSecret: { roles: PEOPLE, secret: "modify", write: true },
  BindSecret: { roles: PEOPLE, secret: "bind", resource: "use", write: true },
  // Or the owner of the binding's secret, who may always take it back: see SecretsService.unbindSecret.
  UnbindSecret: { roles: PEOPLE, resource: "use", write: true },
  // Or the owner of the binding's secret: see SecretsService.getBinding.
  GetBinding: { roles: ANYONE, resource: "read" },
  ListBindings: { roles: ANYONE, resource: "read" },
  // Values go to services (and admins) only; any bound secret, private ones included.
  ResolveResourceSecrets: { roles: ["admin", "service"] },
  ListAuditEvents: { roles: ["admin"] },
  GetKeyringStatus: { roles: ["admin"] },
  GetResourceAccess: { roles: ANYONE, resource: "read" },
  GrantResourceAccess: { roles: PEOPLE, resource: "govern", write: true },
  RevokeResourceAccess: { roles: PEOPLE, resource: "govern", write: true },
  TransferResourceOwnership: { roles: ["admin"], write: true },
  CreateApiToken: { roles: ["admin"], write: true },
  // Anyone else: their own tokens (see TokenService).
  ListApiTokens: { roles: ANYONE },
  RevokeApiToken: { roles: ANYONE, write: true },
  WhoAmI: { roles: ANYONE },
  CreateModelDefinition: { roles: PEOPLE, write: true },
  GetModelDefinition: { roles: ANYONE },
  ListModelDefinitions: { roles: ANYONE },
  UpdateModelDefinition: { roles: PEOPLE, write: true },
  DeleteModelDefinition: { roles: PEOPLE, write: true },
  CreateEndpoint: { roles: PEOPLE, write: true },
  GetEndpoint: { roles: ANYONE },
  ListEndpoints: { roles: ANYONE },
  UpdateEndpoint: { roles: PEOPLE, write: true },
  DeleteEndpoint: { roles: PEOPLE, write: true },
  AttachModelToEndpoint: { roles: PEOPLE, write: true },
  DetachModelFromEndpoint: { roles: PEOPLE, write: true },
  SetEndpointTag: { roles: PEOPLE, write: true },
  DeleteEndpointTag: { roles: PEOPLE, write: true },
  CreateEndpointBinding: { roles: PEOPLE, resource: "use", write: true },
  // Or the endpoint's creator, who may always take it back: see GatewayService.deleteBinding.
  DeleteEndpointBinding: { roles: PEOPLE, resource: "use", write: true },
  ListEndpointBindings: { roles: ANYONE, resource: "read" },
  // Credentials go to services (and admins) only, like ResolveResourceSecrets.
  GetResourceEndpointConfigs: { roles: ["admin", "service"] },
  GetEndpointConfig: { roles: ["admin", "service"] },
  // MLflow's API-key routes are served by the secrets RPCs of the same meaning, which authorize and audit them under their own names.
  CreateGatewaySecret: { roles: PEOPLE, write: true },
  GetGatewaySecretInfo: { roles: ANYONE, secret: "see" },
  UpdateGatewaySecret: { roles: PEOPLE, secret: "modify", write: true },
  DeleteGatewaySecret: { roles: PEOPLE, secret: "modify", write: true },
  ListGatewaySecretInfos: { roles: ANYONE },
  ListProviders: { roles: ANYONE },
  ListSupportedProviders: { roles: ANYONE },
  GetProvider: { roles: ANYONE },
  ListModels: { roles: ANYONE },
  // Shared keys: admins only (see ProviderKeys).
  SetProviderKey: { roles: PEOPLE, write: true },
  GetProviderKey: { roles: ANYONE },
  ListProviderKeys: { roles: ANYONE },
  DeleteProviderKey: { roles: PEOPLE, write: true },
  GetProviderKeyStatus: { roles: ANYONE },
} as const satisfies Record<string, { roles: readonly Role[]; secret?: SecretAction; resource?: ResourceAction; write?: true }>;

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

export function modelAllowed(p: Principal, action: GatewayAction, m: ModelDefinitionFacts): boolean {
  return gatewayRules.model[action](p, m);
}

export function endpointAllowed(p: Principal, action: GatewayAction, e: EndpointFacts): boolean {
  return gatewayRules.endpoint[action](p, e);
}

export function resourceAllowed(p: Principal, action: ResourceAction, resource: ResourceFacts): boolean {
  return resourceRules[action](p, resource);
}

/** The resource rule of an RPC. */
export function resourceActionOf(rpc: Rpc): ResourceAction | undefined {
  return (RPC_POLICY[rpc] as { resource?: ResourceAction }).resource;
}

/**
 * Whose view of bindings a principal's lists are cut to; undefined means
 * every binding (admins, and services, which resolve every resource anyway).
 */
export function bindingListScope(p: Principal): string | undefined {
  return isAdmin(p) || hasRole(p, "service") ? undefined : p.subject;
}

/** The owner whose private secrets a principal's lists include; undefined means all of them. */
export function listScope(p: Principal): string | undefined {
  return isAdmin(p) ? undefined : p.subject;
}
