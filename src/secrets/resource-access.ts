import { type ResourceAction, type ResourceFacts, type Rpc, resourceActionOf, resourceAllowed } from "../auth/policy.js";
import type { Caller } from "../auth/principal.js";
import type { Db } from "../store/database.js";
import type { ResourceAccessRecord } from "../store/records.js";
import type { ResourceKey, ResourceStore } from "../store/resource-store.js";
import type { Executor } from "../store/secrets-store.js";
import type { AuditedCalls } from "./audited-calls.js";
import { ServiceError, invalid } from "./errors.js";
import { requirePrincipal, requireResourceId, requireResourceType } from "./validation.js";

/** The space of shared secrets: every consumer resolves it, nobody owns it, and only shared secrets may be bound there. */
export const GLOBAL_RESOURCE_TYPE = "GLOBAL";

const REFUSED: Record<ResourceAction, string> = {
  use: "bind to it or unbind from it",
  read: "see what is bound to it",
  govern: "grant access to it",
};

export interface ResourceAccessOptions {
  store: ResourceStore;
  calls: AuditedCalls;
  db: Db;
}

/**
 * Who may bind to a resource: its owner (the first principal to bind to it),
 * the principals the owner granted, and admins. Checked before anything bound
 * to the resource is read, so a refusal reveals nothing about what is there.
 */
export class ResourceAccess {
  private readonly store: ResourceStore;
  private readonly calls: AuditedCalls;
  private readonly db: Db;

  constructor(options: ResourceAccessOptions) {
    this.store = options.store;
    this.calls = options.calls;
    this.db = options.db;
  }

  /** The caller's standing on a resource. GLOBAL has no owner: the rules of shared secrets govern it. */
  async facts(ex: Executor, caller: Caller, key: ResourceKey): Promise<ResourceFacts> {
    if (key.resourceType === GLOBAL_RESOURCE_TYPE) return { owner: undefined, granted: false };
    return this.store.standing(ex, key, caller.principal.subject);
  }

  /**
   * Refuses a caller that the RPC's resource rule does not admit. With claim,
   * a resource nobody owns becomes the caller's, inside the caller's
   * transaction.
   */
  async require(ex: Executor, caller: Caller, rpc: Rpc, key: ResourceKey, opts: { claim?: boolean } = {}): Promise<void> {
    if (key.resourceType === GLOBAL_RESOURCE_TYPE) return;
    const action = resourceActionOf(rpc)!;
    const facts = await (opts.claim ? this.store.claim(ex, key, caller.principal.subject) : this.store.standing(ex, key, caller.principal.subject));
    if (!resourceAllowed(caller.principal, action, facts)) throw denied(key, action);
  }

  async get(caller: Caller, target: ResourceKey): Promise<ResourceAccessRecord> {
    return this.calls.read(caller, "GetResourceAccess", audit(target), async () => {
      const key = resourceKey(target);
      await this.require(this.db, caller, "GetResourceAccess", key);
      return this.store.get(this.db, key);
    });
  }

  async grant(caller: Caller, target: ResourceKey, principal: string): Promise<ResourceAccessRecord> {
    return this.calls.change(caller, "GrantResourceAccess", { ...audit(target), subject: principal }, (inTransaction) => {
      const key = ownable(target);
      const grantee = requirePrincipal("principal", principal);
      return inTransaction(async (tx) => {
        await this.require(tx, caller, "GrantResourceAccess", key, { claim: true });
        const current = await this.store.get(tx, key);
        if (current.owner === grantee) throw invalid(`${grantee} owns ${key.resourceType}/${key.resourceId}; a grant would add nothing`);
        await this.store.grant(tx, key, grantee, caller.principal.subject);
        return this.store.get(tx, key);
      });
    });
  }

  async revoke(caller: Caller, target: ResourceKey, principal: string): Promise<ResourceAccessRecord> {
    return this.calls.change(caller, "RevokeResourceAccess", { ...audit(target), subject: principal }, (inTransaction) => {
      const key = ownable(target);
      const grantee = requirePrincipal("principal", principal);
      return inTransaction(async (tx) => {
        await this.require(tx, caller, "RevokeResourceAccess", key);
        if (!(await this.store.revoke(tx, key, grantee, caller.principal.subject))) {
          throw new ServiceError("NOT_FOUND", `${grantee} has no grant on ${key.resourceType}/${key.resourceId}`);
        }
        return this.store.get(tx, key);
      });
    });
  }

  async transfer(caller: Caller, target: ResourceKey, newOwner: string): Promise<ResourceAccessRecord> {
    return this.calls.change(caller, "TransferResourceOwnership", { ...audit(target), subject: newOwner }, (inTransaction) => {
      const key = ownable(target);
      const owner = requirePrincipal("new_owner", newOwner);
      return inTransaction(async (tx) => {
        await this.store.transfer(tx, key, owner, caller.principal.subject);
        return this.store.get(tx, key);
      });
    });
  }
}

const audit = (target: ResourceKey) => ({ resourceType: target.resourceType, resourceId: target.resourceId });

export function resourceKey(target: ResourceKey): ResourceKey {
  return { resourceType: requireResourceType(target.resourceType), resourceId: requireResourceId(target.resourceId) };
}

function ownable(target: ResourceKey): ResourceKey {
  const key = resourceKey(target);
  if (key.resourceType === GLOBAL_RESOURCE_TYPE) throw invalid("GLOBAL has no owner: it is the space of shared secrets, open to every consumer");
  return key;
}

function denied(key: ResourceKey, action: ResourceAction): ServiceError {
  return new ServiceError(
    "PERMISSION_DENIED",
    `${key.resourceType}/${key.resourceId} belongs to another principal: only its owner, principals it granted access (GrantResourceAccess) and admins may ${REFUSED[action]}`,
  );
}
