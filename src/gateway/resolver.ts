import type { Caller } from "../auth/principal.js";
import type { AuditedCalls, Target } from "../secrets/audited-calls.js";
import { notFound } from "../secrets/errors.js";
import type { Releasable, SecretsService } from "../secrets/service.js";
import { type SecretValue, requireName, requireResourceId, requireResourceType } from "../secrets/validation.js";
import type { Db } from "../store/database.js";
import type { EndpointRecord, LinkageType, ResolvableModel } from "../store/gateway-records.js";
import type { GatewayStore } from "../store/gateway-store.js";

interface ModelIdentity {
  modelDefinitionId: string;
  name: string;
  provider: string;
  modelName: string;
  linkageType: LinkageType;
  fallbackOrder: number | null;
  weight: number;
}

export interface ResolvedModel extends ModelIdentity {
  secretId: string;
  version: number;
  value: SecretValue;
  authConfig: Record<string, string>;
}

export type UnavailableReason = "SECRET_MISSING" | "SECRET_REVOKED" | "SECRET_UNDECRYPTABLE";

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
  secrets: SecretsService;
  calls: AuditedCalls;
  db: Db;
}

/**
 * Endpoint configs with the decrypted credentials their models need, for
 * services: two queries however many endpoints and models (the configs, then
 * every secret they use), values opened with the loaded keyring, and an
 * audit event per secret written before any value leaves. A model whose
 * secret is gone, revoked or undecryptable is listed as unavailable, with
 * why: never silently dropped.
 */
export class ConfigResolver {
  private readonly store: GatewayStore;
  private readonly secrets: SecretsService;
  private readonly calls: AuditedCalls;
  private readonly db: Db;

  constructor(options: ConfigResolverOptions) {
    this.store = options.store;
    this.secrets = options.secrets;
    this.calls = options.calls;
    this.db = options.db;
  }

  async forResource(caller: Caller, resourceType: string, resourceId: string): Promise<EndpointConfig[]> {
    const audited: Target = { resourceType, resourceId };
    return this.calls.release(caller, "GetResourceEndpointConfigs", audited, async () => {
      this.secrets.takeResolveQuota(caller);
      const key = { resourceType: requireResourceType(resourceType), resourceId: requireResourceId(resourceId) };
      const rows = await this.store.resolvable(this.db, key);
      return this.build(caller, "GetResourceEndpointConfigs", audited, rows);
    });
  }

  async forEndpoint(caller: Caller, endpointName: string): Promise<EndpointConfig> {
    const audited: Target = { resourceType: "GATEWAY_ENDPOINT", resourceId: endpointName };
    return this.calls.release(caller, "GetEndpointConfig", audited, async () => {
      this.secrets.takeResolveQuota(caller);
      const name = requireName("endpoint_name", endpointName, 255);
      const rows = await this.store.resolvable(this.db, { endpointName: name });
      if (rows.length === 0) throw notFound(`no endpoint named "${name}"`);
      return (await this.build(caller, "GetEndpointConfig", audited, rows))[0]!;
    });
  }

  private async build(caller: Caller, rpc: "GetResourceEndpointConfigs" | "GetEndpointConfig", audited: Target, rows: ResolvableModel[]): Promise<EndpointConfig[]> {
    const secretIds = [...new Set(rows.flatMap((r) => (r.secretId ? [r.secretId] : [])))];
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
      const value = row.secretId ? values.get(row.secretId) : undefined;
      const problem = unavailability(model, row.secretId, value);
      if (problem) config.unavailable.push({ ...model, secretId: row.secretId, ...problem });
      else config.models.push({ ...model, secretId: value!.secretId, version: value!.version, value: value!.value!, authConfig: value!.authConfig });
    }
    return [...configs.values()];
  }
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
