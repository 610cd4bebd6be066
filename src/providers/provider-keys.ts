import { v7 as uuidv7 } from "uuid";
import { listScope } from "../auth/policy.js";
import { type Caller, hasRole } from "../auth/principal.js";
import type { AuditedCalls, Target } from "../secrets/audited-calls.js";
import { ServiceError, invalid, notFound } from "../secrets/errors.js";
import type { SecretsService } from "../secrets/service.js";
import { requirePrincipal, requireText } from "../secrets/validation.js";
import type { Db } from "../store/database.js";
import type { KeyOwner, ProviderKeyRecord, ProviderKeyStore } from "../store/provider-key-store.js";
import type { SecretRecord } from "../store/records.js";
import type { Executor } from "../store/secrets-store.js";
import type { CatalogProvider, ProviderCatalog } from "./catalog.js";

export interface NewProviderSecret {
  secretName: string;
  secretValue?: string;
  secretFields: Record<string, string>;
  authConfig: Record<string, string>;
  fieldName: string;
}

export interface SetProviderKeyInput {
  provider: string;
  key: { secretId: string } | { newSecret: NewProviderSecret };
  isShared: boolean;
}

export interface ProviderKeyStatus {
  provider: string;
  displayName: string;
  hasOwnKey: boolean;
  hasSharedKey: boolean;
  modelsOnOwnKey: number;
  modelsOnSharedKey: number;
  modelsWithoutKey: number;
}

export interface ProviderKeysOptions {
  store: ProviderKeyStore;
  catalog: ProviderCatalog;
  secrets: SecretsService;
  calls: AuditedCalls;
  db: Db;
}

const target = (provider: string, owner: KeyOwner): Target => ({ resourceType: "PROVIDER_KEY", resourceId: provider, subject: "shared" in owner ? "(shared)" : owner.principal });

/**
 * Provider keys: a principal enters one key per provider once, and every
 * model definition of that provider without a secret of its own uses it; an
 * admin may set one shared key per provider as everyone's fallback. A key is
 * a pointer to a secret, so rotating that secret's value reaches every model
 * at once. Values never leave here: only resolution hands them out.
 */
export class ProviderKeys {
  private readonly store: ProviderKeyStore;
  private readonly catalog: ProviderCatalog;
  private readonly secrets: SecretsService;
  private readonly calls: AuditedCalls;
  private readonly db: Db;

  constructor(options: ProviderKeysOptions) {
    this.store = options.store;
    this.catalog = options.catalog;
    this.secrets = options.secrets;
    this.calls = options.calls;
    this.db = options.db;
  }

  async set(caller: Caller, input: SetProviderKeyInput): Promise<ProviderKeyRecord> {
    const owner: KeyOwner = input.isShared ? { shared: true } : { principal: caller.principal.subject };
    return this.calls.change(caller, "SetProviderKey", target(input.provider, owner), async (inTransaction) => {
      const provider = this.known(input.provider);
      if (input.isShared && !hasRole(caller.principal, "admin")) throw new ServiceError("PERMISSION_DENIED", "only admins set a provider's shared key");
      const put = (tx: Executor, secret: SecretRecord) => {
        if (input.isShared && !secret.isShared) throw new ServiceError("FAILED_PRECONDITION", `secret ${secret.id} is private: a shared provider key must be a shared secret`);
        if (secret.provider && this.catalog.provider(secret.provider)?.id !== provider.id) {
          throw invalid(`secret ${secret.id} is for provider ${secret.provider}, not ${provider.id}`);
        }
        return this.store.put(tx, { id: uuidv7(), provider: provider.id, owner, secretId: secret.id, setBy: caller.principal.subject });
      };
      if ("newSecret" in input.key) {
        const s = input.key.newSecret;
        let key: ProviderKeyRecord | undefined;
        // One transaction: the secret, its audit event and the key commit together.
        await this.secrets.createSecret(
          caller,
          { ...s, fieldName: s.fieldName || this.catalog.envVarFor(provider.id), provider: provider.id, isShared: input.isShared, requestId: "" },
          undefined,
          async (tx, secret) => {
            key = await put(tx, secret);
          },
        );
        return key!;
      }
      const { secretId } = input.key;
      return inTransaction(async (tx) => put(tx, await this.secrets.usableSecret(tx, caller, "SetProviderKey", secretId)));
    });
  }

  async get(caller: Caller, providerId: string, isShared: boolean): Promise<ProviderKeyRecord> {
    const owner: KeyOwner = isShared ? { shared: true } : { principal: caller.principal.subject };
    return this.calls.read(caller, "GetProviderKey", target(providerId, owner), async () => {
      const provider = this.known(providerId);
      const key = await this.store.get(this.db, provider.id, owner);
      if (!key) throw notFound(isShared ? `${provider.id} has no shared key` : `you have no key for ${provider.id}: set one with SetProviderKey`);
      return key;
    });
  }

  /** The caller's keys and the shared ones; admins every key, or one principal's. */
  async list(caller: Caller, principal: string | undefined): Promise<ProviderKeyRecord[]> {
    return this.calls.read(caller, "ListProviderKeys", {}, async () => {
      const scope = listScope(caller.principal);
      if (principal !== undefined && scope !== undefined && principal !== scope) throw new ServiceError("PERMISSION_DENIED", "only admins may list another principal's provider keys");
      return this.store.list(this.db, principal === undefined ? scope : requirePrincipal("principal", principal));
    });
  }

  /** Unsets a key (the secret stays): the caller's own, the shared one (admins), or another's (admins). */
  async delete(caller: Caller, providerId: string, isShared: boolean, principal: string): Promise<void> {
    const owner: KeyOwner = isShared ? { shared: true } : { principal: principal || caller.principal.subject };
    await this.calls.change(caller, "DeleteProviderKey", target(providerId, owner), (inTransaction) => {
      const provider = this.known(providerId);
      const others = isShared || ("principal" in owner && owner.principal !== caller.principal.subject);
      if (others && !hasRole(caller.principal, "admin")) throw new ServiceError("PERMISSION_DENIED", "only admins unset the shared key or another principal's");
      return inTransaction(async (tx) => {
        if (!(await this.store.delete(tx, provider.id, owner))) throw notFound(`there is no such key for ${provider.id}`);
      });
    });
  }

  /** Per provider with a key or a keyless model: what the caller has and how many of its model definitions rely on each key. */
  async status(caller: Caller): Promise<ProviderKeyStatus[]> {
    return this.calls.read(caller, "GetProviderKeyStatus", {}, async () => {
      const [keys, keyless] = await Promise.all([this.store.list(this.db, caller.principal.subject), this.store.keylessModels(this.db, caller.principal.subject)]);
      const ids = new Set([...keys.map((k) => k.provider), ...keyless.map((m) => this.canonical(m.provider))]);
      return [...ids].sort().map((id) => {
        const own = keys.some((k) => k.provider === id && !k.isShared && k.principal === caller.principal.subject);
        const shared = keys.some((k) => k.provider === id && k.isShared);
        const models = keyless.filter((m) => this.canonical(m.provider) === id).reduce((n, m) => n + m.n, 0);
        return {
          provider: id,
          displayName: this.catalog.provider(id)?.displayName ?? id,
          hasOwnKey: own,
          hasSharedKey: shared,
          modelsOnOwnKey: own ? models : 0,
          modelsOnSharedKey: !own && shared ? models : 0,
          modelsWithoutKey: own || shared ? 0 : models,
        };
      });
    });
  }

  /** The provider id keys are filed under: the catalog's, when it knows the provider by another name. */
  canonical(provider: string): string {
    return this.catalog.provider(provider)?.id ?? provider;
  }

  private known(providerId: string): CatalogProvider {
    const provider = this.catalog.provider(requireText("provider", providerId, 64));
    if (!provider) throw invalid(`provider ${providerId} is not in the catalog: ListProviders lists the known ones (openai_compatible takes any api_base)`);
    return provider;
  }
}
