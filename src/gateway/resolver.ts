import { type Caller, hasRole } from "../auth/principal.js";
import type { ProviderKeys } from "../providers/provider-keys.js";
import type { AuditedCalls, Target } from "../secrets/audited-calls.js";
import { ServiceError, notFound } from "../secrets/errors.js";
import type { Releasable, SecretsService } from "../secrets/service.js";
import { type SecretValue, requireName, requirePrincipal, requireResourceId, requireResourceType } from "../secrets/validation.js";
import type { Db } from "../store/database.js";
import type { EndpointRecord, LinkageType, ResolvableModel } from "../store/gateway-records.js";
import type { GatewayStore } from "../store/gateway-store.js";
import type { ProviderKeyStore } from "../store/provider-key-store.js";

interface ModelIdentity {
  modelDefinitionId: string;
  name: string;
  provider: string;
  modelName: string;
  linkageType: LinkageType;
  fallbackOrder: number | null;
  weight: number;
}

export type CredentialSource = "MODEL_SECRET" | "PROVIDER_KEY" | "SHARED_PROVIDER_KEY";

export interface ResolvedModel extends ModelIdentity {
  credentialSource: CredentialSource;
  secretId: string;
  version: number;
  value: SecretValue;
  authConfig: Record<string, string>;
}

export type UnavailableReason = "SECRET_MISSING" | "SECRET_REVOKED" | "SECRET_UNDECRYPTABLE" | "NO_CREDENTIAL";

export interface UnavailableModel extends ModelIdentity {
  secretId: string | null;
  reason: UnavailableReason;
  message: string;
}

export interface EndpointConfig {
  endpointId: string;
  endpointName: string;
  routingStrategy: EndpointRecord["routingStrategy"];
  fallbackStrategy: EndpointRecord["fallbackStrategy"];
  fallbackMaxAttempts: number | null;
  /** Primaries first, then fallbacks by fallback order. */
  models: ResolvedModel[];
  unavailable: UnavailableModel[];
}

export interface ConfigResolverOptions {
  store: GatewayStore;
  providerKeyStore: ProviderKeyStore;
  providerKeys: ProviderKeys;
  secrets: SecretsService;
  calls: AuditedCalls;
  db: Db;
}

/**
 * Endpoint configs with the decrypted credentials their models need, for
 * services: three queries however many endpoints and models (the configs,
 * the provider keys models without a secret fall back to, then every secret
 * they use), values opened with the loaded keyring, and an audit event per
 * secret written before any value leaves. A model's credential is its own
 * secret, else the provider key of its creator (or of on_behalf_of), else the
 * provider's shared key; one without any, or whose secret is gone, revoked or
 * undecryptable, is listed as unavailable, with why: never silently dropped.
 */
export class ConfigResolver {
  private readonly store: GatewayStore;
  private readonly providerKeyStore: ProviderKeyStore;
  private readonly providerKeys: ProviderKeys;
  private readonly secrets: SecretsService;
  private readonly calls: AuditedCalls;
  private readonly db: Db;

  constructor(options: ConfigResolverOptions) {
    this.store = options.store;
    this.providerKeyStore = options.providerKeyStore;
    this.providerKeys = options.providerKeys;
    this.secrets = options.secrets;
    this.calls = options.calls;
    this.db = options.db;
  }

  async forResource(caller: Caller, resourceType: string, resourceId: string, onBehalfOf = ""): Promise<EndpointConfig[]> {
    const audited: Target = { resourceType, resourceId, subject: onBehalfOf || undefined };
    return this.calls.release(caller, "GetResourceEndpointConfigs", audited, async () => {
      const behalf = this.onBehalfOf(caller, onBehalfOf);
      this.secrets.takeResolveQuota(caller);
      const key = { resourceType: requireResourceType(resourceType), resourceId: requireResourceId(resourceId) };
      const rows = await this.store.resolvable(this.db, key);
      return this.build(caller, "GetResourceEndpointConfigs", audited, rows, behalf);
    });
  }

  async forEndpoint(caller: Caller, endpointName: string, onBehalfOf = ""): Promise<EndpointConfig> {
    const audited: Target = { resourceType: "GATEWAY_ENDPOINT", resourceId: endpointName, subject: onBehalfOf || undefined };
    return this.calls.release(caller, "GetEndpointConfig", audited, async () => {
      const behalf = this.onBehalfOf(caller, onBehalfOf);
      this.secrets.takeResolveQuota(caller);
      const name = requireName("endpoint_name", endpointName, 255);
      const rows = await this.store.resolvable(this.db, { endpointName: name });
      if (rows.length === 0) throw notFound(`no endpoint named "${name}"`);
      return (await this.build(caller, "GetEndpointConfig", audited, rows, behalf))[0]!;
    });
  }

  /** Acting for someone else's provider keys is for services alone: a user could otherwise resolve with anyone's keys. */
  private onBehalfOf(caller: Caller, onBehalfOf: string): string | undefined {
    if (!onBehalfOf) return undefined;
    if (!hasRole(caller.principal, "service")) throw new ServiceError("PERMISSION_DENIED", "on_behalf_of is accepted from service principals only");
    return requirePrincipal("on_behalf_of", onBehalfOf);
  }

  private async build(caller: Caller, rpc: "GetResourceEndpointConfigs" | "GetEndpointConfig", audited: Target, rows: ResolvableModel[], onBehalfOf: string | undefined): Promise<EndpointConfig[]> {
    const credentials = await this.credentialsOf(rows, onBehalfOf);
    const secretIds = [...new Set([...credentials.values()].map((c) => c.secretId))];
    const values = await this.secrets.releaseCurrentValues(caller, rpc, audited, secretIds);
    const configs = new Map<string, EndpointConfig>();
    for (const row of rows) {
      let config = configs.get(row.endpointId);
      if (!config) {
        config = {
          endpointId: row.endpointId,
          endpointName: row.endpointName,
          routingStrategy: row.routingStrategy,
          fallbackStrategy: row.fallbackStrategy,
          fallbackMaxAttempts: row.fallbackMaxAttempts,
          models: [],
          unavailable: [],
        };
        configs.set(row.endpointId, config);
      }
      if (row.modelDefinitionId === null) continue;
      const model: ModelIdentity = {
        modelDefinitionId: row.modelDefinitionId,
        name: row.name!,
        provider: row.provider!,
        modelName: row.modelName!,
        linkageType: row.linkageType!,
        fallbackOrder: row.fallbackOrder,
        weight: row.weight!,
      };
      const credential = credentials.get(row);
      if (!credential) {
        config.unavailable.push({ ...model, secretId: null, reason: "NO_CREDENTIAL", message: noCredential(model, this.providerKeys.canonical(model.provider)) });
        continue;
      }
      const value = values.get(credential.secretId);
      const problem = unavailability(model, credential.secretId, value);
      if (problem) config.unavailable.push({ ...model, secretId: credential.secretId, ...problem });
      else config.models.push({ ...model, credentialSource: credential.source, secretId: value!.secretId, version: value!.version, value: value!.value!, authConfig: value!.authConfig });
    }
    return [...configs.values()];
  }

  /** Each model's credential, in the order tried: its own secret, its owner's provider key, the shared one. One query for every fallback. */
  private async credentialsOf(rows: ResolvableModel[], onBehalfOf: string | undefined): Promise<Map<ResolvableModel, { secretId: string; source: CredentialSource }>> {
    const out = new Map<ResolvableModel, { secretId: string; source: CredentialSource }>();
    const keyless = rows.filter((r) => r.modelDefinitionId !== null && r.secretId === null);
    for (const r of rows) if (r.secretId) out.set(r, { secretId: r.secretId, source: "MODEL_SECRET" });
    if (keyless.length === 0) return out;
    const principalOf = (r: ResolvableModel) => onBehalfOf ?? r.modelOwner!;
    const providers = [...new Set(keyless.map((r) => this.providerKeys.canonical(r.provider!)))];
    const keys = await this.providerKeyStore.candidates(this.db, providers, [...new Set(keyless.map(principalOf))]);
    for (const r of keyless) {
      const provider = this.providerKeys.canonical(r.provider!);
      const own = keys.find((k) => !k.isShared && k.provider === provider && k.principal === principalOf(r));
      const shared = keys.find((k) => k.isShared && k.provider === provider);
      if (own) out.set(r, { secretId: own.secretId, source: "PROVIDER_KEY" });
      else if (shared) out.set(r, { secretId: shared.secretId, source: "SHARED_PROVIDER_KEY" });
    }
    return out;
  }
}

function noCredential(model: ModelIdentity, provider: string): string {
  return `model definition "${model.name}" has no secret of its own and no ${provider} provider key applies: set one with SetProviderKey (POST /api/3.0/mlflow/gateway/provider-keys/set), or give the model definition a secret`;
}

function unavailability(model: ModelIdentity, secretId: string | null, value: Releasable | undefined): { reason: UnavailableReason; message: string } | undefined {
  if (!secretId || !value) {
    return { reason: "SECRET_MISSING", message: `model definition "${model.name}" has no secret (it was deleted): give it one with UpdateModelDefinition` };
  }
  if (value.state === "REVOKED") {
    return { reason: "SECRET_REVOKED", message: `secret ${secretId} of model definition "${model.name}" is revoked: point the model definition at an active secret` };
  }
  if (value.undecryptable || value.value === undefined) {
    return {
      reason: "SECRET_UNDECRYPTABLE",
      message: `secret ${secretId} of model definition "${model.name}" does not decrypt here (tampered, or under a KEK this replica lacks): run secretsctl kek verify`,
    };
  }
  return undefined;
}
