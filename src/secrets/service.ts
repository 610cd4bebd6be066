import { v7 as uuidv7 } from "uuid";
import type { AuditLog } from "../audit/audit-log.js";
import { RPC_POLICY, type ResourceFacts, type Rpc, allowed, bindingListScope, listScope, resourceAllowed } from "../auth/policy.js";
import { type Caller, hasRole } from "../auth/principal.js";
import { DecryptionError } from "../crypto/envelope.js";
import { maskFields, maskValue } from "../crypto/masking.js";
import type { RequestMac } from "../crypto/request-mac.js";
import type { AuditFilter, AuditStore } from "../store/audit-store.js";
import { uniqueViolation } from "../store/errors.js";
import type { AuditRecord, BindingRecord, CurrentValue, SecretRecord, VersionRecord } from "../store/records.js";
import type { Executor, SecretChanges, SecretsStore } from "../store/secrets-store.js";
import { type AuditedCalls, type Target, Unanswered } from "./audited-calls.js";
import type { CredentialRules } from "./credential-rules.js";
import { ServiceError, invalid, notFound, secretNotFound } from "./errors.js";
import { type PageRequest, readPage, toPage } from "./paging.js";
import type { Quotas } from "./quotas.js";
import type { RateLimiter } from "./rate-limiter.js";
import { GLOBAL_RESOURCE_TYPE, type ResourceAccess } from "./resource-access.js";
import {
  API_BASE,
  LIMITS,
  type SecretValue,
  checkAuthConfig,
  decodeSecretValue,
  encodeSecretValue,
  optionalText,
  parseSecretValue,
  requireFieldName,
  requireName,
  requireResourceId,
  requireResourceType,
  requireText,
} from "./validation.js";

export interface CreateSecretInput {
  secretName: string;
  secretValue?: string;
  secretFields: Record<string, string>;
  fieldName: string;
  provider?: string;
  model?: string;
  authConfig: Record<string, string>;
  isShared: boolean;
  requestId: string;
}

export interface BindingTarget {
  resourceType: string;
  resourceId: string;
  fieldName: string;
}

export interface UpdateSecretInput {
  secretId: string;
  secretValue?: string;
  secretFields: Record<string, string>;
  provider?: string;
  model?: string;
  authConfig: Record<string, string>;
  clearAuthConfig: boolean;
  etag?: string;
}

export type SecretLookup = { secretId: string } | { secretName: string; isShared?: boolean };

export type BindingLookup = { bindingId: string } | BindingTarget;

export interface ResolvedSecret {
  fieldName: string;
  secretId: string;
  secretName: string;
  value: SecretValue;
  provider: string | null;
  model: string | null;
  authConfig: Record<string, string>;
  version: number;
}

/** A secret's current value as handed to the gateway; value undefined when revoked or undecryptable. */
export type Releasable = Omit<CurrentValue, "payload"> & { value: SecretValue | undefined };

export interface SecretsServiceOptions {
  store: SecretsStore;
  requestMac: RequestMac;
  audit: AuditLog;
  auditStore: AuditStore;
  /** Limits ResolveResourceSecrets per principal. */
  resolveLimiter: RateLimiter;
  calls: AuditedCalls;
  resources: ResourceAccess;
  /** Lets auth_config.api_base name a private or loopback address (a self-hosted model server). */
  allowPrivateApiBase?: boolean;
  quotas: Quotas;
  /** A known provider's rules for the fields of a credential (the provider catalog). */
  credentialRules?: CredentialRules;
}

/** How many owners an ambiguous name lookup lists. */
const MAX_OWNERS_LISTED = 10;

export const etagOf = (s: Pick<SecretRecord, "revision">): string => `"${s.revision}"`;

/**
 * The secrets domain: validation, the access policy, idempotency, audit and
 * the transactions that keep a secret, its value versions and bindings
 * consistent. The only module that combines the store, crypto and the policy.
 */
export class SecretsService {
  private readonly store: SecretsStore;
  private readonly requestMac: RequestMac;
  private readonly audit: AuditLog;
  private readonly auditStore: AuditStore;
  private readonly resolveLimiter: RateLimiter;
  private readonly calls: AuditedCalls;
  private readonly resources: ResourceAccess;
  private readonly authConfigRules: { allowPrivateApiBase: boolean };
  private readonly quotas: Quotas;
  private readonly credentialRules: CredentialRules | undefined;

  constructor(options: SecretsServiceOptions) {
    this.authConfigRules = { allowPrivateApiBase: options.allowPrivateApiBase ?? false };
    this.resolveLimiter = options.resolveLimiter;
    this.calls = options.calls;
    this.resources = options.resources;
    this.quotas = options.quotas;
    this.credentialRules = options.credentialRules;
    this.store = options.store;
    this.requestMac = options.requestMac;
    this.audit = options.audit;
    this.auditStore = options.auditStore;
  }

  /**
   * Creates a secret, and its binding when a target is given, in one
   * transaction; `alsoInTransaction` lets another domain (provider keys) make
   * its own record of the new secret in that same transaction.
   */
  async createSecret(
    caller: Caller,
    input: CreateSecretInput,
    target?: BindingTarget,
    alsoInTransaction?: (tx: Executor, secret: SecretRecord) => Promise<void>,
  ): Promise<{ secret: SecretRecord; binding?: BindingRecord }> {
    const rpc: Rpc = target ? "CreateAndBindSecret" : "CreateSecret";
    const audited: Target = { resourceType: target?.resourceType, resourceId: target?.resourceId };
    return this.calls.change(caller, rpc, audited, async (inTransaction) => {
      const name = requireName("secret_name", input.secretName, LIMITS.secretName);
      const fieldName = requireFieldName("field_name", input.fieldName);
      const provider = optionalText("provider", input.provider, LIMITS.provider) ?? null;
      const model = optionalText("model", input.model, LIMITS.model) ?? null;
      const authConfig = checkAuthConfig(input.authConfig, this.authConfigRules);
      const value = parseSecretValue(input.secretValue, input.secretFields, true)!;
      this.credentialRules?.check({ provider, model, value, authConfig });
      const payload = encodeSecretValue(value);
      const bind = target && {
        resourceType: requireResourceType(target.resourceType),
        resourceId: requireResourceId(target.resourceId),
        fieldName: requireFieldName("field_name", target.fieldName),
      };
      const isShared = input.isShared || bind?.resourceType === GLOBAL_RESOURCE_TYPE;
      const requestId = input.requestId ? requireText("request_id", input.requestId, LIMITS.requestId) : "";
      // The MAC covers everything that shapes the result, so a retry must be the same request.
      const canonical = requestId && JSON.stringify([rpc, name, fieldName, provider, model, sorted(authConfig), isShared, value, bind ?? null].map(normalize));
      const replay = () => this.replay(caller, requestId, canonical, audited);
      if (requestId) {
        const prior = await replay();
        if (prior) return prior;
      }
      const secretId = uuidv7();
      audited.secretId = secretId;
      try {
        return await inTransaction(async (tx) => {
          if (bind) await this.resources.require(tx, caller, rpc, bind, { claim: true });
          const bindingId = bind && uuidv7();
          // The writes are sent one behind the other without waiting for answers: PostgreSQL runs them in order,
          // and the first to fail aborts the transaction (and is the call's error). Inserts either land or fail.
          let created = this.store.createSecret(
            tx,
            { id: secretId, name, fieldName, isShared, provider, model, authConfig, ...masks(value), createdBy: caller.principal.subject },
            payload,
            bind && { id: bindingId!, ...bind, createdBy: caller.principal.subject },
          );
          if (requestId) {
            const { mac, kekVersion } = this.requestMac.sign(canonical);
            const recorded = this.store.recordRequest(tx, caller.principal.subject, requestId, { requestMac: mac, kekVersion, secretId, bindingId: bindingId ?? null });
            created = Promise.all([created, recorded]).then(([c]) => c);
          }
          const checked = this.quotas.checkCreated(tx, caller.principal);
          if (!checked && !alsoInTransaction) return new Unanswered(created);
          const [result] = await Promise.all([created, checked]);
          await alsoInTransaction?.(tx, result.secret);
          return result;
        });
      } catch (err) {
        if (requestId && uniqueViolation(err) !== undefined) {
          // A concurrent call with the same request_id may have won (on its name or its key): answer as its retry.
          const prior = await replay();
          if (prior) return prior;
        }
        throw conflict(err, { name, bind });
      }
    });
  }

  async getSecret(caller: Caller, lookup: SecretLookup): Promise<SecretRecord> {
    return this.calls.read(caller, "GetSecret", "secretId" in lookup ? { secretId: lookup.secretId } : {}, async (audited) => {
      const db = this.store.db;
      if ("secretId" in lookup) return this.secretFor(db, caller, "GetSecret", requireText("secret_id", lookup.secretId, 64));
      const found = await this.findByName(db, caller, requireName("secret_name", lookup.secretName, LIMITS.secretName), lookup.isShared);
      audited.secretId = found.id;
      return found;
    });
  }

  /**
   * The caller's private secret of that name, else the shared one. Admins,
   * who see every secret in lists, then look across every owner's private
   * secrets, and are told the owners when the name is not unique.
   */
  private async findByName(ex: Executor, caller: Caller, name: string, isShared: boolean | undefined): Promise<SecretRecord> {
    if (isShared !== true) {
      const own = await this.store.findSecretByName(ex, name, { isShared: false, owner: caller.principal.subject });
      if (own) return own;
    }
    if (isShared !== false) {
      const shared = await this.store.findSecretByName(ex, name, { isShared: true });
      if (shared) return shared;
    }
    if (isShared !== true && hasRole(caller.principal, "admin")) {
      const owned = await this.store.privateSecretsNamed(ex, name, MAX_OWNERS_LISTED + 1);
      if (owned.length === 1) return owned[0]!;
      if (owned.length > 1) {
        const owners = owned.slice(0, MAX_OWNERS_LISTED).map((s) => s.createdBy).join(", ");
        throw invalid(`${owned.length > MAX_OWNERS_LISTED ? `more than ${MAX_OWNERS_LISTED}` : owned.length} principals have a private secret named "${name}" (${owners}${owned.length > MAX_OWNERS_LISTED ? ", ..." : ""}): pass its secret_id`);
      }
    }
    throw notFound(`no secret named "${name}" is visible to you`);
  }

  async listVersions(caller: Caller, secretId: string): Promise<VersionRecord[]> {
    return this.calls.read(caller, "ListSecretVersions", { secretId }, async () => {
      const secret = await this.secretFor(this.store.db, caller, "ListSecretVersions", requireText("secret_id", secretId, 64));
      return this.store.listVersions(this.store.db, secret.id);
    });
  }

  async listSecrets(caller: Caller, filter: { isShared?: boolean; provider?: string }, page: PageRequest): Promise<{ items: SecretRecord[]; nextPageToken: string }> {
    return this.calls.read(caller, "ListSecrets", {}, async () => {
      const { after, limit } = readPage(page, filter);
      const rows = await this.store.listSecrets(this.store.db, { ...filter, visibleTo: listScope(caller.principal) }, after, limit + 1);
      return toPage(rows, limit, filter);
    });
  }

  async updateSecret(caller: Caller, input: UpdateSecretInput): Promise<SecretRecord> {
    return this.calls.change(caller, "UpdateSecret", { secretId: input.secretId }, async (inTransaction) => {
      const secretId = requireText("secret_id", input.secretId, 64);
      const value = parseSecretValue(input.secretValue, input.secretFields, false);
      const changes: SecretChanges = { updatedBy: caller.principal.subject };
      if (value) changes.value = { payload: encodeSecretValue(value), ...masks(value) };
      const provider = optionalText("provider", input.provider, LIMITS.provider, true);
      if (provider !== undefined) changes.provider = provider;
      const model = optionalText("model", input.model, LIMITS.model, true);
      if (model !== undefined) changes.model = model;
      if (input.clearAuthConfig && Object.keys(input.authConfig).length > 0) throw invalid("give either auth_config or clear_auth_config, not both");
      if (input.clearAuthConfig) changes.authConfig = {};
      else if (Object.keys(input.authConfig).length > 0) changes.authConfig = checkAuthConfig(input.authConfig, this.authConfigRules);
      if (Object.keys(changes).length === 1) throw invalid("nothing to update: give a new value, provider, model or auth_config");
      const expected = input.etag === undefined ? undefined : parseEtag(input.etag);
      return inTransaction(async (tx) => {
        // Locked: concurrent updates queue here, and each compares the revision it finds.
        const current = await this.secretFor(tx, caller, "UpdateSecret", secretId, { lock: true });
        if (current.state === "REVOKED") throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is revoked and cannot be updated`);
        // Sending the stored key to a new host is how keys leak: a new api_base needs the key again.
        if (changes.authConfig !== undefined && !changes.value && (changes.authConfig[API_BASE] ?? "") !== (current.authConfig[API_BASE] ?? "")) {
          throw invalid("changing auth_config.api_base would send the stored key to another host: give the secret's value again in the same call");
        }
        if (expected !== undefined && expected !== current.revision) {
          throw new ServiceError("ABORTED", `secret ${secretId} was changed since etag ${input.etag} (now ${etagOf(current)}): read it again`);
        }
        if (value || changes.provider !== undefined || changes.model !== undefined || changes.authConfig !== undefined) {
          this.credentialRules?.check({
            provider: changes.provider !== undefined ? changes.provider : current.provider,
            model: changes.model !== undefined ? changes.model : current.model,
            value,
            authConfig: changes.authConfig ?? current.authConfig,
          });
        }
        const updated = this.store.updateLockedSecret(tx, current, changes);
        const checked = changes.value && this.quotas.checkValueWritten(tx, caller.principal, current.createdBy);
        if (!checked) return new Unanswered(updated);
        const [record] = await Promise.all([updated, checked]);
        return record;
      });
    });
  }

  async revokeSecret(caller: Caller, secretId: string): Promise<SecretRecord> {
    return this.calls.change(caller, "RevokeSecret", { secretId }, (inTransaction) => {
      requireText("secret_id", secretId, 64);
      return inTransaction(async (tx) => {
        const current = await this.secretFor(tx, caller, "RevokeSecret", secretId, { lock: true });
        if (current.state === "REVOKED") return current;
        return new Unanswered(this.store.updateLockedSecret(tx, current, { state: "REVOKED", updatedBy: caller.principal.subject }));
      });
    });
  }

  async deleteSecret(caller: Caller, secretId: string): Promise<void> {
    await this.calls.change(caller, "DeleteSecret", { secretId }, (inTransaction) => {
      requireText("secret_id", secretId, 64);
      return inTransaction(async (tx) => {
        await this.secretFor(tx, caller, "DeleteSecret", secretId, { lock: true });
        await this.store.deleteSecret(tx, secretId);
      });
    });
  }

  async bindSecret(caller: Caller, secretId: string, target: BindingTarget): Promise<BindingRecord> {
    return this.calls.change(caller, "BindSecret", { secretId, resourceType: target.resourceType, resourceId: target.resourceId }, async (inTransaction) => {
      requireText("secret_id", secretId, 64);
      const bind = {
        resourceType: requireResourceType(target.resourceType),
        resourceId: requireResourceId(target.resourceId),
        fieldName: requireFieldName("field_name", target.fieldName),
      };
      try {
        return await inTransaction(async (tx) => {
          // First, so that a refusal says nothing about what is bound there.
          await this.resources.require(tx, caller, "BindSecret", bind, { claim: true });
          // The row lock serializes binds of one secret, so "at most one binding" holds across replicas.
          const secret = await this.secretFor(tx, caller, "BindSecret", secretId, { lock: true });
          if (secret.state === "REVOKED") throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is revoked and cannot be bound`);
          if (!secret.isShared && bind.resourceType === GLOBAL_RESOURCE_TYPE) {
            throw new ServiceError(
              "FAILED_PRECONDITION",
              `secret ${secretId} is private; only shared secrets can be bound to GLOBAL. A shared secret is visible to everyone and resolvable by every GLOBAL consumer: create one with is_shared (secretsctl: --shared) if that is what you mean`,
            );
          }
          // Counted after the lock, in a statement of its own: the locking read's count predates the lock.
          if (!secret.isShared && (await this.store.countBindings(tx, secretId)) > 0) {
            throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is private and already bound; a private secret has at most one binding (create a shared secret to bind it more than once)`);
          }
          return this.store.createBinding(tx, { id: uuidv7(), secretId, ...bind, createdBy: caller.principal.subject });
        });
      } catch (err) {
        throw conflict(err, { bind });
      }
    });
  }

  /**
   * By resource and field: for those who may use the resource. By id: also
   * for the owner of the binding's secret, who may always take it back.
   */
  async unbindSecret(caller: Caller, lookup: BindingLookup): Promise<void> {
    const audited: Target = "bindingId" in lookup ? {} : { resourceType: lookup.resourceType, resourceId: lookup.resourceId };
    await this.calls.change(caller, "UnbindSecret", audited, (inTransaction) =>
      inTransaction(async (tx) => {
        const { binding, secret, resource } = await this.bindingFor(tx, caller, "UnbindSecret", lookup);
        Object.assign(audited, { secretId: secret.id, resourceType: binding.resourceType, resourceId: binding.resourceId });
        const mayRemove =
          binding.resourceType === GLOBAL_RESOURCE_TYPE
            ? allowed(caller.principal, "modify", secret) || binding.createdBy === caller.principal.subject
            : resourceAllowed(caller.principal, "use", resource) || allowed(caller.principal, "modify", secret);
        if (!mayRemove) {
          throw new ServiceError("PERMISSION_DENIED", `only the owner of ${binding.resourceType}/${binding.resourceId}, its grantees, the owner of secret ${secret.id} or an admin may remove binding ${binding.id}`);
        }
        await this.store.deleteBinding(tx, binding.id);
      }),
    );
  }

  async getBinding(caller: Caller, bindingId: string): Promise<BindingRecord> {
    return this.calls.read(caller, "GetBinding", {}, async (audited) => {
      const { binding } = await this.bindingFor(this.store.db, caller, "GetBinding", { bindingId });
      Object.assign(audited, { secretId: binding.secretId, resourceType: binding.resourceType, resourceId: binding.resourceId });
      return binding;
    });
  }

  /**
   * For one resource: everything bound there, to those who may read it (and
   * PERMISSION_DENIED, before any lookup, to others). Otherwise: the bindings
   * on resources the caller may read, of the caller's own secrets, and GLOBAL.
   */
  async listBindings(
    caller: Caller,
    filter: { resourceType?: string; resourceId?: string; secretId?: string },
    page: PageRequest,
  ): Promise<{ items: BindingRecord[]; nextPageToken: string }> {
    return this.calls.read(caller, "ListBindings", { secretId: filter.secretId, resourceType: filter.resourceType, resourceId: filter.resourceId }, async () => {
      if (filter.resourceType !== undefined) requireResourceType(filter.resourceType);
      const resourceId = filter.resourceId === undefined ? undefined : requireResourceId(filter.resourceId);
      const scoped = { ...filter, resourceId };
      const { after, limit } = readPage(page, scoped);
      const oneResource = scoped.resourceType !== undefined && resourceId !== undefined;
      if (oneResource) await this.resources.require(this.store.db, caller, "ListBindings", { resourceType: scoped.resourceType!, resourceId });
      const viewer = oneResource ? undefined : bindingListScope(caller.principal);
      const rows = await this.store.listBindings(this.store.db, { ...scoped, viewer }, after, limit + 1);
      return toPage(rows, limit, scoped);
    });
  }

  /**
   * Every value bound to a resource, decrypted. One audit event per secret
   * handed out, naming its value version, is written before any value is
   * returned: no event, no value. A revoked secret fails the whole call
   * (fail closed); field_name picks the bindings that are still good.
   */
  async resolveResourceSecrets(caller: Caller, resourceType: string, resourceId: string, fieldName?: string): Promise<ResolvedSecret[]> {
    const audited: Target = { resourceType, resourceId };
    return this.calls.release(caller, "ResolveResourceSecrets", audited, async () => {
      this.takeResolveQuota(caller);
      requireResourceType(resourceType);
      const rid = requireResourceId(resourceId);
      const field = fieldName === undefined ? undefined : requireFieldName("field_name", fieldName);
      let rows;
      try {
        rows = await this.store.resolveResource(this.store.db, resourceType, rid, field);
      } catch (err) {
        if (err instanceof DecryptionError) throw new ServiceError("DATA_LOSS", err.message);
        throw err;
      }
      if (field !== undefined && rows.length === 0) throw notFound(`${resourceType}/${rid} has no binding for ${field}`);
      const revoked = rows.find((r) => r.state === "REVOKED");
      if (revoked) {
        audited.secretId = revoked.secretId;
        throw new ServiceError(
          "FAILED_PRECONDITION",
          `the binding of ${revoked.fieldName} on ${resourceType}/${rid} is to secret ${revoked.secretId} ("${revoked.secretName}"), which is revoked, so nothing is returned: unbind it or bind an active secret, or resolve with field_name to get the other bindings`,
        );
      }
      await this.recordRelease(caller, "ResolveResourceSecrets", audited, rows);
      return rows.map((r) => {
        const value = decodeSecretValue(r.payload);
        r.payload.fill(0);
        return { fieldName: r.fieldName, secretId: r.secretId, secretName: r.secretName, value, provider: r.provider, model: r.model, authConfig: r.authConfig, version: r.version };
      });
    });
  }

  /** The resolve rate limit, per principal: shared by every call that hands out values. */
  takeResolveQuota(caller: Caller): void {
    const quota = this.resolveLimiter.take(caller.principal.subject);
    if (!quota.ok) {
      throw new ServiceError("RESOURCE_EXHAUSTED", `too many resolves by ${caller.principal.subject}; retry in ${quota.retryAfterSeconds} s`, false, quota.retryAfterSeconds);
    }
  }

  /**
   * For the gateway: the current values of these secrets, decoded, after an
   * audit event per secret handed out has been written. Revoked and
   * undecryptable secrets are reported, not opened; missing ones are absent.
   */
  async releaseCurrentValues(caller: Caller, rpc: Rpc, audited: Target, secretIds: readonly string[]): Promise<Map<string, Releasable>> {
    const current = await this.store.openCurrent(this.store.db, secretIds);
    const released = [...current.values()].filter((c) => c.payload !== undefined);
    try {
      await this.recordRelease(caller, rpc, audited, released);
    } catch (err) {
      for (const c of released) c.payload!.fill(0);
      throw err;
    }
    const out = new Map<string, Releasable>();
    for (const c of current.values()) {
      const { payload, ...meta } = c;
      out.set(c.secretId, payload === undefined ? { ...meta, value: undefined } : { ...meta, value: decodeSecretValue(payload) });
      payload?.fill(0);
    }
    return out;
  }

  /** One event per secret handed out, with its value version, committed before any value leaves. */
  private async recordRelease(caller: Caller, rpc: Rpc, audited: Target, handedOut: ReadonlyArray<{ secretId: string; version: number }>): Promise<void> {
    const events = handedOut.map((r) => ({ action: rpc, ...audited, secretId: r.secretId, secretVersion: r.version, outcome: "ok" }));
    try {
      await this.audit.writeNow(caller, events.length > 0 ? events : [{ action: rpc, ...audited, outcome: "ok" }]);
    } catch {
      // Fail closed: a value is never handed out without its audit event.
      throw new ServiceError("UNAVAILABLE", "the audit log cannot be written, so no value is returned; retry shortly");
    }
  }

  /** A secret a model definition may point at: one the caller may bind (its own, any shared; admins any), and not revoked. */
  async usableSecret(ex: Executor, caller: Caller, rpc: Rpc, secretId: string): Promise<SecretRecord> {
    const secret = await this.store.getSecret(ex, requireText("secret_id", secretId, 64));
    if (!secret || !allowed(caller.principal, "see", secret)) throw secretNotFound(secretId, secret !== undefined);
    if (!allowed(caller.principal, "bind", secret)) throw new ServiceError("PERMISSION_DENIED", `${rpc}: you may not use secret ${secretId}`);
    if (secret.state === "REVOKED") throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is revoked and cannot be used`);
    return secret;
  }

  async listAuditEvents(caller: Caller, filter: AuditFilter, page: PageRequest): Promise<{ items: AuditRecord[]; nextPageToken: string }> {
    return this.calls.read(caller, "ListAuditEvents", {}, async () => {
      const { after, limit } = readPage(page, filter);
      const rows = await this.auditStore.list(this.store.db, filter, after, limit + 1);
      return toPage(rows, limit, filter);
    });
  }

  private async replay(caller: Caller, requestId: string, canonical: string, audited: Target) {
    const prior = await this.store.findRequest(this.store.db, caller.principal.subject, requestId);
    if (!prior) return undefined;
    if (!this.requestMac.verify(canonical, prior.requestMac, prior.kekVersion)) {
      throw invalid(`request_id ${requestId} was already used for a different request`);
    }
    audited.secretId = prior.secretId;
    const secret = await this.secretFor(this.store.db, caller, "GetSecret", prior.secretId);
    const binding = prior.bindingId ? await this.store.getBinding(this.store.db, prior.bindingId) : undefined;
    return binding ? { secret, binding } : { secret };
  }

  /** The secret an RPC acts on, if the table lets the caller act on it. */
  private async secretFor(ex: Executor, caller: Caller, rpc: Rpc, secretId: string, opts: { lock?: boolean } = {}): Promise<SecretRecord> {
    const secret = await this.store.getSecret(ex, secretId, opts);
    if (!secret) throw secretNotFound(secretId);
    // A secret the caller may not see is reported exactly like one that does not exist.
    if (!allowed(caller.principal, "see", secret)) throw secretNotFound(secretId, true);
    const action = (RPC_POLICY[rpc] as { secret?: "see" | "modify" | "bind" }).secret ?? "see";
    if (!allowed(caller.principal, action, secret)) {
      throw new ServiceError("PERMISSION_DENIED", `only the creator of secret ${secretId} or an admin may do this`);
    }
    return secret;
  }

  /**
   * A binding, if the caller may see it: on a resource it may read, of a
   * secret it may change, or on GLOBAL with a secret it may see. By resource
   * and field, the resource rule is checked before the lookup.
   */
  private async bindingFor(ex: Executor, caller: Caller, rpc: Rpc, lookup: BindingLookup): Promise<{ binding: BindingRecord; secret: SecretRecord; resource: ResourceFacts }> {
    let binding: BindingRecord | undefined;
    let label: string;
    if ("bindingId" in lookup) {
      binding = await this.store.getBinding(ex, requireText("binding_id", lookup.bindingId, 64));
      label = `binding ${lookup.bindingId}`;
    } else {
      const key = { resourceType: requireResourceType(lookup.resourceType), resourceId: requireResourceId(lookup.resourceId) };
      const fn = requireFieldName("field_name", lookup.fieldName);
      await this.resources.require(ex, caller, rpc, key);
      binding = await this.store.findBinding(ex, key.resourceType, key.resourceId, fn);
      label = `the binding of ${fn} on ${key.resourceType}/${key.resourceId}`;
    }
    const secret = binding && (await this.store.getSecret(ex, binding.secretId));
    if (!binding || !secret) throw notFound(`${label} does not exist`);
    const resource = await this.resources.facts(ex, caller, binding);
    const visible =
      binding.resourceType === GLOBAL_RESOURCE_TYPE
        ? allowed(caller.principal, "see", secret)
        : resourceAllowed(caller.principal, "read", resource) || allowed(caller.principal, "modify", secret);
    if (!visible) throw new ServiceError("NOT_FOUND", `${label} does not exist`, true);
    return { binding, secret, resource };
  }
}

function masks(value: SecretValue): { maskedValue: string; maskedFields: Record<string, string> } {
  return "value" in value ? { maskedValue: maskValue(value.value), maskedFields: {} } : { maskedValue: "", maskedFields: maskFields(value.fields) };
}

function parseEtag(etag: string): number {
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(etag);
  if (!m) throw invalid("etag is malformed: pass the etag of a secret as read");
  return Number(m[1]);
}

function sorted(o: Record<string, string>): Array<[string, string]> {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function normalize(v: unknown): unknown {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, normalize(x)]),
    );
  }
  return v;
}

/** Turns a unique violation into the ALREADY_EXISTS it means; anything else passes through. */
function conflict(err: unknown, ctx: { name?: string; bind?: BindingTarget }): unknown {
  switch (uniqueViolation(err)) {
    case "secrets_shared_name_uq":
      return new ServiceError("ALREADY_EXISTS", `a shared secret named "${ctx.name}" already exists`);
    case "secrets_private_name_uq":
      return new ServiceError("ALREADY_EXISTS", `you already have a private secret named "${ctx.name}"`);
    case "secret_bindings_resource_field_uq":
      return new ServiceError("ALREADY_EXISTS", `${ctx.bind?.resourceType}/${ctx.bind?.resourceId} already has a binding for ${ctx.bind?.fieldName}`);
    default:
      return err;
  }
}
