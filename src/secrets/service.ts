import { v7 as uuidv7 } from "uuid";
import { type SecretAction, allowed, listScope, mayResolve } from "../auth/policy.js";
import type { Principal } from "../auth/principal.js";
import { DecryptionError } from "../crypto/envelope.js";
import { maskFields, maskValue } from "../crypto/masking.js";
import type { RequestMac } from "../crypto/request-mac.js";
import { uniqueViolation } from "../store/errors.js";
import type { BindingRecord, SecretRecord } from "../store/records.js";
import type { Executor, NewValue, SecretChanges, SecretsStore } from "../store/secrets-store.js";
import { ServiceError, invalid, notFound, secretNotFound } from "./errors.js";
import { type PageRequest, readPage, toPage } from "./paging.js";
import {
  LIMITS,
  type SecretValue,
  checkAuthConfig,
  decodeSecretValue,
  encodeSecretValue,
  optionalText,
  parseSecretValue,
  requireFieldName,
  requireResourceId,
  requireResourceType,
  requireText,
} from "./validation.js";

export const GLOBAL_RESOURCE_TYPE = "GLOBAL";

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

export interface SecretsServiceOptions {
  store: SecretsStore;
  requestMac: RequestMac;
}

/** Tries of an update that did not name an etag and lost a race to another writer. */
const UPDATE_ATTEMPTS = 5;

export const etagOf = (s: Pick<SecretRecord, "revision">): string => `"${s.revision}"`;

/**
 * The secrets domain: validation, access policy, idempotency and the
 * transactions that keep a secret, its value versions and bindings consistent.
 * The only module that combines the store, crypto and the policy.
 */
export class SecretsService {
  private readonly store: SecretsStore;
  private readonly requestMac: RequestMac;

  constructor(options: SecretsServiceOptions) {
    this.store = options.store;
    this.requestMac = options.requestMac;
  }

  /** Creates a secret, and its binding when a target is given, in one transaction. */
  async createSecret(
    principal: Principal,
    input: CreateSecretInput,
    target?: BindingTarget,
  ): Promise<{ secret: SecretRecord; binding?: BindingRecord }> {
    const name = requireText("secret_name", input.secretName, LIMITS.secretName);
    const fieldName = requireFieldName("field_name", input.fieldName);
    const provider = optionalText("provider", input.provider, LIMITS.provider) ?? null;
    const model = optionalText("model", input.model, LIMITS.model) ?? null;
    const authConfig = checkAuthConfig(input.authConfig);
    const value = parseSecretValue(input.secretValue, input.secretFields, true)!;
    const payload = encodeSecretValue(value);
    const bind = target && {
      resourceType: requireResourceType(target.resourceType),
      resourceId: requireResourceId(target.resourceId),
      fieldName: requireFieldName("field_name", target.fieldName),
    };
    const isShared = input.isShared || bind?.resourceType === GLOBAL_RESOURCE_TYPE;
    const requestId = input.requestId ? requireText("request_id", input.requestId, LIMITS.requestId) : "";

    // The MAC covers everything that shapes the result, so a retry must be the same request.
    const canonical = requestId && JSON.stringify([bind ? "create-and-bind" : "create", name, fieldName, provider, model, sorted(authConfig), isShared, value, bind ?? null].map(normalize));
    if (requestId) {
      const replay = await this.replay(principal, requestId, canonical);
      if (replay) return replay;
    }

    const secretId = uuidv7();
    try {
      return await this.store.transaction(async (tx) => {
        const secret = await this.store.createSecret(
          tx,
          { id: secretId, name, fieldName, isShared, provider, model, authConfig, ...masks(value), createdBy: principal.subject },
          payload,
        );
        const binding = bind && (await this.store.createBinding(tx, { id: uuidv7(), secretId, ...bind, createdBy: principal.subject }));
        if (requestId) {
          const { mac, kekVersion } = this.requestMac.sign(canonical);
          await this.store.recordRequest(tx, principal.subject, requestId, { requestMac: mac, kekVersion, secretId, bindingId: binding?.id ?? null });
        }
        return binding ? { secret: { ...secret, bindingCount: 1 }, binding } : { secret };
      });
    } catch (err) {
      if (requestId && uniqueViolation(err) !== undefined) {
        // A concurrent call with the same request_id may have won (on its name or its key): answer as its retry.
        const replay = await this.replay(principal, requestId, canonical);
        if (replay) return replay;
      }
      throw conflict(err, { name, isShared, bind });
    }
  }

  async getSecret(principal: Principal, lookup: SecretLookup): Promise<SecretRecord> {
    if ("secretId" in lookup) return this.visibleSecret(this.store.db, principal, requireText("secret_id", lookup.secretId, 64), "see");
    const name = requireText("secret_name", lookup.secretName, LIMITS.secretName);
    const db = this.store.db;
    const own = lookup.isShared === true ? undefined : await this.store.findSecretByName(db, name, { isShared: false, owner: principal.subject });
    const found = own ?? (lookup.isShared === false ? undefined : await this.store.findSecretByName(db, name, { isShared: true }));
    if (!found) throw notFound(`no secret named "${name}" is visible to you`);
    return found;
  }

  async listSecrets(
    principal: Principal,
    filter: { isShared?: boolean; provider?: string },
    page: PageRequest,
  ): Promise<{ items: SecretRecord[]; nextPageToken: string }> {
    const { after, limit } = readPage(page, filter);
    const rows = await this.store.listSecrets(this.store.db, { ...filter, visibleTo: listScope(principal) }, after, limit + 1);
    return toPage(rows, limit, filter);
  }

  async updateSecret(principal: Principal, input: UpdateSecretInput): Promise<SecretRecord> {
    const secretId = requireText("secret_id", input.secretId, 64);
    const value = parseSecretValue(input.secretValue, input.secretFields, false);
    const changes: SecretChanges = { updatedBy: principal.subject };
    if (value) changes.value = { payload: encodeSecretValue(value), ...masks(value) } satisfies NewValue;
    const provider = optionalText("provider", input.provider, LIMITS.provider, true);
    if (provider !== undefined) changes.provider = provider;
    const model = optionalText("model", input.model, LIMITS.model, true);
    if (model !== undefined) changes.model = model;
    if (input.clearAuthConfig && Object.keys(input.authConfig).length > 0) throw invalid("give either auth_config or clear_auth_config, not both");
    if (input.clearAuthConfig) changes.authConfig = {};
    else if (Object.keys(input.authConfig).length > 0) changes.authConfig = checkAuthConfig(input.authConfig);
    if (Object.keys(changes).length === 1) throw invalid("nothing to update: give a new value, provider, model or auth_config");
    const expected = input.etag === undefined ? undefined : parseEtag(input.etag);

    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const updated = await this.store.transaction(async (tx) => {
        const current = await this.modifiableSecret(tx, principal, secretId);
        if (current.state === "REVOKED") throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is revoked and cannot be updated`);
        if (expected !== undefined && expected !== current.revision) {
          throw new ServiceError("ABORTED", `secret ${secretId} was changed since etag ${input.etag} (now ${etagOf(current)}): read it again`);
        }
        return this.store.updateSecret(tx, current, expected ?? current.revision, changes);
      });
      if (updated) return updated;
      if (expected !== undefined) throw new ServiceError("ABORTED", `secret ${secretId} was changed since etag ${input.etag}: read it again`);
    }
    throw new ServiceError("ABORTED", `secret ${secretId} is being changed concurrently; try again`);
  }

  async revokeSecret(principal: Principal, secretId: string): Promise<SecretRecord> {
    requireText("secret_id", secretId, 64);
    return this.store.transaction(async (tx) => {
      const current = await this.modifiableSecret(tx, principal, secretId, { lock: true });
      if (current.state === "REVOKED") return current;
      return (await this.store.updateSecret(tx, current, current.revision, { state: "REVOKED", updatedBy: principal.subject }))!;
    });
  }

  async deleteSecret(principal: Principal, secretId: string): Promise<void> {
    requireText("secret_id", secretId, 64);
    await this.store.transaction(async (tx) => {
      await this.modifiableSecret(tx, principal, secretId, { lock: true });
      await this.store.deleteSecret(tx, secretId);
    });
  }

  async bindSecret(principal: Principal, secretId: string, target: BindingTarget): Promise<BindingRecord> {
    requireText("secret_id", secretId, 64);
    const bind = {
      resourceType: requireResourceType(target.resourceType),
      resourceId: requireResourceId(target.resourceId),
      fieldName: requireFieldName("field_name", target.fieldName),
    };
    try {
      return await this.store.transaction(async (tx) => {
        // The row lock serializes binds of one secret, so "at most one binding" holds across replicas.
        const secret = await this.visibleSecret(tx, principal, secretId, "bind", { lock: true });
        if (secret.state === "REVOKED") throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is revoked and cannot be bound`);
        if (!secret.isShared && bind.resourceType === GLOBAL_RESOURCE_TYPE) {
          throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is private; only shared secrets can be bound to GLOBAL`);
        }
        // Counted after the lock, in a statement of its own: the locking read's count predates the lock.
        if (!secret.isShared && (await this.store.countBindings(tx, secretId)) > 0) {
          throw new ServiceError("FAILED_PRECONDITION", `secret ${secretId} is private and already bound; a private secret has at most one binding (create a shared secret to bind it more than once)`);
        }
        return this.store.createBinding(tx, { id: uuidv7(), secretId, ...bind, createdBy: principal.subject });
      });
    } catch (err) {
      throw conflict(err, { bind });
    }
  }

  async unbindSecret(principal: Principal, lookup: BindingLookup): Promise<void> {
    await this.store.transaction(async (tx) => {
      const binding = await this.visibleBinding(tx, principal, lookup);
      const secret = (await this.store.getSecret(tx, binding.secretId))!;
      if (!allowed(principal, "modify", secret) && binding.createdBy !== principal.subject) {
        throw new ServiceError("PERMISSION_DENIED", `only the creator of binding ${binding.id}, the owner of its secret or an admin may remove it`);
      }
      await this.store.deleteBinding(tx, binding.id);
    });
  }

  async getBinding(principal: Principal, bindingId: string): Promise<BindingRecord> {
    return this.visibleBinding(this.store.db, principal, { bindingId });
  }

  async listBindings(
    principal: Principal,
    filter: { resourceType?: string; resourceId?: string; secretId?: string },
    page: PageRequest,
  ): Promise<{ items: BindingRecord[]; nextPageToken: string }> {
    if (filter.resourceType !== undefined) requireResourceType(filter.resourceType);
    const { after, limit } = readPage(page, filter);
    const rows = await this.store.listBindings(this.store.db, { ...filter, visibleTo: listScope(principal) }, after, limit + 1);
    return toPage(rows, limit, filter);
  }

  /** Every value bound to a resource, decrypted: for services and admins only. */
  async resolveResourceSecrets(principal: Principal, resourceType: string, resourceId: string, fieldName?: string): Promise<ResolvedSecret[]> {
    if (!mayResolve(principal)) throw new ServiceError("PERMISSION_DENIED", "resolving secret values is reserved to service principals and admins");
    requireResourceType(resourceType);
    requireResourceId(resourceId);
    if (fieldName !== undefined) requireFieldName("field_name", fieldName);
    let rows;
    try {
      rows = await this.store.resolveResource(this.store.db, resourceType, resourceId, fieldName);
    } catch (err) {
      if (err instanceof DecryptionError) throw new ServiceError("DATA_LOSS", err.message);
      throw err;
    }
    if (fieldName !== undefined && rows.length === 0) throw notFound(`${resourceType}/${resourceId} has no binding for ${fieldName}`);
    const revoked = rows.find((r) => r.state === "REVOKED");
    if (revoked) {
      throw new ServiceError("FAILED_PRECONDITION", `secret ${revoked.secretId} bound to ${resourceType}/${resourceId} as ${revoked.fieldName} is revoked`);
    }
    return rows.map(({ payload, state: _state, ...r }) => ({ ...r, value: decodeSecretValue(payload) }));
  }

  private async replay(principal: Principal, requestId: string, canonical: string) {
    const prior = await this.store.findRequest(this.store.db, principal.subject, requestId);
    if (!prior) return undefined;
    if (!this.requestMac.verify(canonical, prior.requestMac, prior.kekVersion)) {
      throw invalid(`request_id ${requestId} was already used for a different request`);
    }
    const secret = await this.visibleSecret(this.store.db, principal, prior.secretId, "see");
    const binding = prior.bindingId ? await this.store.getBinding(this.store.db, prior.bindingId) : undefined;
    return binding ? { secret, binding } : { secret };
  }

  private async visibleSecret(ex: Executor, principal: Principal, secretId: string, action: SecretAction, opts: { lock?: boolean } = {}): Promise<SecretRecord> {
    const secret = await this.store.getSecret(ex, secretId, opts);
    // A secret the caller may not see is reported exactly like one that does not exist.
    if (!secret || !allowed(principal, "see", secret)) throw secretNotFound(secretId);
    if (!allowed(principal, action, secret)) {
      throw new ServiceError("PERMISSION_DENIED", `only the creator of secret ${secretId} or an admin may do this`);
    }
    return secret;
  }

  private modifiableSecret(ex: Executor, principal: Principal, secretId: string, opts: { lock?: boolean } = {}) {
    return this.visibleSecret(ex, principal, secretId, "modify", opts);
  }

  private async visibleBinding(ex: Executor, principal: Principal, lookup: BindingLookup): Promise<BindingRecord> {
    let binding: BindingRecord | undefined;
    let label: string;
    if ("bindingId" in lookup) {
      binding = await this.store.getBinding(ex, requireText("binding_id", lookup.bindingId, 64));
      label = `binding ${lookup.bindingId}`;
    } else {
      const t = { rt: requireResourceType(lookup.resourceType), rid: requireResourceId(lookup.resourceId), fn: requireFieldName("field_name", lookup.fieldName) };
      binding = await this.store.findBinding(ex, t.rt, t.rid, t.fn);
      label = `the binding of ${t.fn} on ${t.rt}/${t.rid}`;
    }
    const secret = binding && (await this.store.getSecret(ex, binding.secretId));
    if (!binding || !secret || !allowed(principal, "see", secret)) throw notFound(`${label} does not exist`);
    return binding;
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
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

/** Turns a unique violation into the ALREADY_EXISTS it means; anything else passes through. */
function conflict(err: unknown, ctx: { name?: string; isShared?: boolean; bind?: BindingTarget }): unknown {
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
