import { v7 as uuidv7 } from "uuid";
import { type EndpointFacts, type ModelDefinitionFacts, type Rpc, endpointAllowed, listScope, modelAllowed, resourceAllowed } from "../auth/policy.js";
import { type Caller, hasRole } from "../auth/principal.js";
import type { AuditedCalls, Target } from "../secrets/audited-calls.js";
import { ServiceError, invalid, notFound } from "../secrets/errors.js";
import { type PageRequest, readPage, toPage } from "../secrets/paging.js";
import { GLOBAL_RESOURCE_TYPE, type ResourceAccess } from "../secrets/resource-access.js";
import type { SecretsService } from "../secrets/service.js";
import { checkText, requireName, requireResourceId, requireResourceType, requireText } from "../secrets/validation.js";
import type { Db } from "../store/database.js";
import { uniqueViolation } from "../store/errors.js";
import type { EndpointBindingRecord, EndpointRecord, LinkageType, ModelDefinitionRecord } from "../store/gateway-records.js";
import type { EndpointChanges, GatewayStore, ModelDefinitionChanges, NewMapping } from "../store/gateway-store.js";
import type { Executor } from "../store/secrets-store.js";
import { type FallbackInput, type ModelConfig, type ModelConfigInput, checkFallback, checkModelConfig, checkModelConfigs } from "./model-configs.js";

const LIMIT = { name: 255, provider: 64, modelName: 256, tagKey: 250, tagValue: 5000, displayName: 255 } as const;

export interface ModelDefinitionInput {
  name: string;
  /** "": the model uses provider keys. */
  secretId: string;
  provider: string;
  modelName: string;
}

export interface ModelDefinitionUpdate {
  modelDefinitionId: string;
  name?: string;
  /** "": from now on the model uses provider keys. */
  secretId?: string;
  provider?: string;
  modelName?: string;
}

export interface EndpointInput {
  name: string;
  modelConfigs: ModelConfigInput[];
  routingStrategy: "REQUEST_BASED_TRAFFIC_SPLIT" | undefined;
  fallback: FallbackInput | undefined;
}

export interface EndpointUpdate {
  endpointId: string;
  name?: string;
  /** Not empty: replaces every mapping. */
  modelConfigs: ModelConfigInput[];
  routingStrategy?: "REQUEST_BASED_TRAFFIC_SPLIT";
  fallback: FallbackInput | undefined;
}

export type EndpointBindingLookup = { bindingId: string } | { endpointId: string; resourceType: string; resourceId: string };

export interface GatewayServiceOptions {
  store: GatewayStore;
  secrets: SecretsService;
  resources: ResourceAccess;
  calls: AuditedCalls;
  db: Db;
  /** The id a provider is known by (the catalog's), so that "amazon-bedrock" and "bedrock" are one provider. */
  canonicalProvider: (provider: string) => string;
}

const modelTarget = (id: string): Target => ({ resourceType: "MODEL_DEFINITION", resourceId: id });
const endpointTarget = (id: string): Target => ({ resourceType: "GATEWAY_ENDPOINT", resourceId: id });

export const modelFacts = (m: ModelDefinitionRecord): ModelDefinitionFacts => ({
  createdBy: m.createdBy,
  secret: m.secretId === null ? undefined : { isShared: m.secretIsShared === true, createdBy: m.secretOwner ?? "" },
});
export const endpointFacts = (e: EndpointRecord): EndpointFacts => ({ createdBy: e.createdBy, models: e.mappings.map((m) => modelFacts(m.modelDefinition)) });

/**
 * The gateway's configuration: model definitions, endpoints with their model
 * mappings and tags, and endpoint bindings. Every call is authorized by the
 * one RPC table and audited by the one audit log; secrets are reached only
 * through the secrets domain.
 */
export class GatewayService {
  private readonly store: GatewayStore;
  private readonly secrets: SecretsService;
  private readonly resources: ResourceAccess;
  private readonly calls: AuditedCalls;
  private readonly db: Db;
  private readonly canonicalProvider: (provider: string) => string;

  constructor(options: GatewayServiceOptions) {
    this.canonicalProvider = options.canonicalProvider;
    this.store = options.store;
    this.secrets = options.secrets;
    this.resources = options.resources;
    this.calls = options.calls;
    this.db = options.db;
  }

  // --- model definitions

  async createModelDefinition(caller: Caller, input: ModelDefinitionInput): Promise<ModelDefinitionRecord> {
    const id = `d-${uuidv7()}`;
    return this.calls.change(caller, "CreateModelDefinition", { ...modelTarget(id), secretId: input.secretId }, (inTransaction) => {
      const name = requireName("name", input.name, LIMIT.name);
      const provider = requireText("provider", input.provider, LIMIT.provider);
      const modelName = requireText("model_name", input.modelName, LIMIT.modelName);
      return this.unique(() =>
        inTransaction(async (tx) => {
          const secret = input.secretId ? await this.secrets.usableSecret(tx, caller, "CreateModelDefinition", input.secretId) : undefined;
          if (secret) this.sameProvider(provider, secret);
          return this.store.createModelDefinition(tx, { id, name, secretId: secret?.id ?? null, provider, modelName, createdBy: caller.principal.subject });
        }),
      );
    });
  }

  async getModelDefinition(caller: Caller, lookup: { modelDefinitionId: string } | { name: string }): Promise<ModelDefinitionRecord> {
    return this.calls.read(caller, "GetModelDefinition", "modelDefinitionId" in lookup ? modelTarget(lookup.modelDefinitionId) : {}, async (audited) => {
      const found = await this.visibleModel(this.db, caller, lookup);
      Object.assign(audited, modelTarget(found.id), { secretId: found.secretId ?? undefined });
      return found;
    });
  }

  async listModelDefinitions(caller: Caller, filter: { provider?: string; secretId?: string }, page: PageRequest): Promise<{ items: ModelDefinitionRecord[]; nextPageToken: string }> {
    return this.calls.read(caller, "ListModelDefinitions", { secretId: filter.secretId }, async () => {
      const { after, limit } = readPage(page, filter);
      const rows = await this.store.listModelDefinitions(this.db, { ...filter, viewer: viewerOf(caller) }, after, limit + 1);
      return toPage(rows, limit, filter);
    });
  }

  async updateModelDefinition(caller: Caller, input: ModelDefinitionUpdate): Promise<ModelDefinitionRecord> {
    const audited = { ...modelTarget(input.modelDefinitionId), secretId: input.secretId };
    return this.calls.change(caller, "UpdateModelDefinition", audited, (inTransaction) => {
      const changes: ModelDefinitionChanges = { updatedBy: caller.principal.subject };
      if (input.name !== undefined) changes.name = requireName("name", input.name, LIMIT.name);
      if (input.provider !== undefined) changes.provider = requireText("provider", input.provider, LIMIT.provider);
      if (input.modelName !== undefined) changes.modelName = requireText("model_name", input.modelName, LIMIT.modelName);
      if (Object.keys(changes).length === 1 && input.secretId === undefined) throw invalid("nothing to update: give a name, secret_id, provider or model_name");
      return this.unique(() =>
        inTransaction(async (tx) => {
          const current = await this.modifiableModel(tx, caller, "UpdateModelDefinition", input.modelDefinitionId);
          let secret;
          if (input.secretId === "") changes.secretId = null;
          else if (input.secretId !== undefined) secret = await this.secrets.usableSecret(tx, caller, "UpdateModelDefinition", input.secretId);
          else if (changes.provider && current.secretId) secret = await this.secrets.usableSecret(tx, caller, "UpdateModelDefinition", current.secretId);
          if (secret) {
            this.sameProvider(changes.provider ?? current.provider, secret);
            changes.secretId = secret.id;
          }
          audited.secretId = (changes.secretId !== undefined ? changes.secretId : current.secretId) ?? undefined;
          return this.store.updateModelDefinition(tx, current.id, changes);
        }),
      );
    });
  }

  async deleteModelDefinition(caller: Caller, modelDefinitionId: string): Promise<void> {
    await this.calls.change(caller, "DeleteModelDefinition", modelTarget(modelDefinitionId), (inTransaction) =>
      inTransaction(async (tx) => {
        const current = await this.modifiableModel(tx, caller, "DeleteModelDefinition", modelDefinitionId);
        // Endpoints the caller may not see are counted, never named: their names are as private as they are.
        const { names, others } = await this.store.endpointsUsing(tx, current.id, viewerOf(caller));
        if (names.length + others > 0) {
          const listed = [...names, ...(others > 0 ? [`${others} endpoint${others === 1 ? "" : "s"} you cannot see`] : [])];
          throw new ServiceError("FAILED_PRECONDITION", `model definition "${current.name}" is used by ${names.length > 0 ? `endpoint${names.length === 1 ? "" : "s"} ` : ""}${listed.join(", ")}: detach it from them first`);
        }
        await this.store.deleteModelDefinition(tx, current.id);
      }),
    );
  }

  // --- endpoints

  async createEndpoint(caller: Caller, input: EndpointInput): Promise<EndpointRecord> {
    const id = `e-${uuidv7()}`;
    return this.calls.change(caller, "CreateEndpoint", endpointTarget(id), (inTransaction) => {
      const name = requireName("name", input.name, LIMIT.name);
      const configs = checkModelConfigs(input.modelConfigs, input.fallback);
      return this.unique(() =>
        inTransaction(async (tx) => {
          await this.usableModels(tx, caller, configs);
          return this.store.createEndpoint(
            tx,
            {
              id,
              name,
              routingStrategy: input.routingStrategy ?? "REQUEST_BASED_TRAFFIC_SPLIT",
              ...fallbackColumns(input.fallback, configs),
              createdBy: caller.principal.subject,
            },
            configs.map(newMapping),
          );
        }),
      );
    });
  }

  async getEndpoint(caller: Caller, lookup: { endpointId: string } | { name: string }): Promise<EndpointRecord> {
    return this.calls.read(caller, "GetEndpoint", "endpointId" in lookup ? endpointTarget(lookup.endpointId) : {}, async (audited) => {
      const found = await this.visibleEndpoint(this.db, caller, lookup);
      Object.assign(audited, endpointTarget(found.id));
      return found;
    });
  }

  async listEndpoints(caller: Caller, filter: { provider?: string; secretId?: string }, page: PageRequest): Promise<{ items: EndpointRecord[]; nextPageToken: string }> {
    return this.calls.read(caller, "ListEndpoints", { secretId: filter.secretId }, async () => {
      const { after, limit } = readPage(page, filter);
      const rows = await this.store.listEndpoints(this.db, { ...filter, viewer: viewerOf(caller) }, after, limit + 1);
      return toPage(rows, limit, filter);
    });
  }

  /** Name, routing and fallback as given; model_configs, when given, replace every mapping in the same transaction. */
  async updateEndpoint(caller: Caller, input: EndpointUpdate): Promise<EndpointRecord> {
    return this.calls.change(caller, "UpdateEndpoint", endpointTarget(input.endpointId), (inTransaction) => {
      const changes: EndpointChanges = { updatedBy: caller.principal.subject };
      if (input.name !== undefined) changes.name = requireName("name", input.name, LIMIT.name);
      if (input.routingStrategy !== undefined) changes.routingStrategy = input.routingStrategy;
      const replacing = input.modelConfigs.length > 0;
      const configs = replacing ? checkModelConfigs(input.modelConfigs, input.fallback) : undefined;
      if (Object.keys(changes).length === 1 && !replacing && !input.fallback) throw invalid("nothing to update: give a name, model_configs, routing_strategy or fallback_config");
      return this.unique(() =>
        inTransaction(async (tx) => {
          const current = await this.modifiableEndpoint(tx, caller, "UpdateEndpoint", input.endpointId);
          if (configs) {
            await this.usableModels(tx, caller, configs);
            await this.store.replaceMappings(tx, current.id, configs.map(newMapping), caller.principal.subject);
          }
          const after = configs ?? current.mappings.map(configOf);
          if (input.fallback || configs) {
            if (!configs) checkFallback(input.fallback, after.filter((c) => c.linkageType === "FALLBACK").length);
            Object.assign(changes, fallbackColumns(input.fallback ?? fallbackOf(current), after));
          }
          await this.store.updateEndpoint(tx, current.id, changes);
          return (await this.store.getEndpoint(tx, current.id))!;
        }),
      );
    });
  }

  async deleteEndpoint(caller: Caller, endpointId: string): Promise<void> {
    await this.calls.change(caller, "DeleteEndpoint", endpointTarget(endpointId), (inTransaction) =>
      inTransaction(async (tx) => {
        const current = await this.modifiableEndpoint(tx, caller, "DeleteEndpoint", endpointId);
        await this.store.deleteEndpoint(tx, current.id);
      }),
    );
  }

  async attachModel(caller: Caller, endpointId: string, input: ModelConfigInput): Promise<EndpointRecord["mappings"][number]> {
    return this.calls.change(caller, "AttachModelToEndpoint", endpointTarget(endpointId), (inTransaction) => {
      const config = checkModelConfig(input);
      return inTransaction(async (tx) => {
        const current = await this.modifiableEndpoint(tx, caller, "AttachModelToEndpoint", endpointId);
        const taken = current.mappings.find((m) => m.modelDefinition.id === config.modelDefinitionId && m.linkageType === config.linkageType);
        if (taken) throw new ServiceError("ALREADY_EXISTS", `model definition ${config.modelDefinitionId} is already attached to endpoint ${current.name} as ${config.linkageType}`);
        if (config.fallbackOrder !== null && current.mappings.some((m) => m.fallbackOrder === config.fallbackOrder)) {
          throw invalid(`fallback_order ${config.fallbackOrder} is taken on endpoint ${current.name}`);
        }
        await this.usableModels(tx, caller, [config]);
        const mapping = newMapping(config);
        await this.store.addMapping(tx, current.id, mapping, caller.principal.subject);
        await this.store.updateEndpoint(tx, current.id, { updatedBy: caller.principal.subject });
        return (await this.store.getEndpoint(tx, current.id))!.mappings.find((m) => m.id === mapping.id)!;
      });
    });
  }

  /** Leaves the model definition alone; refused when it would leave the endpoint without a primary. */
  async detachModel(caller: Caller, endpointId: string, modelDefinitionId: string, linkageType: LinkageType | undefined): Promise<void> {
    await this.calls.change(caller, "DetachModelFromEndpoint", endpointTarget(endpointId), (inTransaction) => {
      requireText("model_definition_id", modelDefinitionId, 64);
      return inTransaction(async (tx) => {
        const current = await this.modifiableEndpoint(tx, caller, "DetachModelFromEndpoint", endpointId);
        const matching = current.mappings.filter((m) => m.modelDefinition.id === modelDefinitionId && (linkageType === undefined || m.linkageType === linkageType));
        if (matching.length === 0) throw notFound(`model definition ${modelDefinitionId} is not attached to endpoint ${current.name}${linkageType ? ` as ${linkageType}` : ""}`);
        if (matching.length > 1) throw invalid(`model definition ${modelDefinitionId} is attached to endpoint ${current.name} as PRIMARY and as FALLBACK: say which with linkage_type`);
        const left = current.mappings.filter((m) => m !== matching[0]);
        if (!left.some((m) => m.linkageType === "PRIMARY")) throw new ServiceError("FAILED_PRECONDITION", `endpoint ${current.name} would be left without a PRIMARY model: attach another first, or delete the endpoint`);
        const fallbacksLeft = left.filter((m) => m.linkageType === "FALLBACK").length;
        if ((current.fallbackMaxAttempts ?? 0) > fallbacksLeft) {
          throw new ServiceError("FAILED_PRECONDITION", `endpoint ${current.name} tries ${current.fallbackMaxAttempts} fallbacks; lower fallback_config.max_attempts before detaching this one`);
        }
        await this.store.removeMappings(tx, current.id, modelDefinitionId, matching[0]!.linkageType);
        await this.store.updateEndpoint(tx, current.id, { updatedBy: caller.principal.subject });
      });
    });
  }

  async setTag(caller: Caller, endpointId: string, key: string, value: string): Promise<void> {
    await this.calls.change(caller, "SetEndpointTag", endpointTarget(endpointId), (inTransaction) => {
      const k = requireText("key", key, LIMIT.tagKey);
      if (value.length > LIMIT.tagValue) throw invalid(`value is longer than ${LIMIT.tagValue} characters`);
      return inTransaction(async (tx) => {
        const current = await this.modifiableEndpoint(tx, caller, "SetEndpointTag", endpointId);
        await this.store.setTag(tx, current.id, k, value);
      });
    });
  }

  async deleteTag(caller: Caller, endpointId: string, key: string): Promise<void> {
    await this.calls.change(caller, "DeleteEndpointTag", endpointTarget(endpointId), (inTransaction) => {
      const k = requireText("key", key, LIMIT.tagKey);
      return inTransaction(async (tx) => {
        const current = await this.modifiableEndpoint(tx, caller, "DeleteEndpointTag", endpointId);
        await this.store.deleteTag(tx, current.id, k);
      });
    });
  }

  // --- endpoint bindings

  /** Under the resource rules of bindings: the first principal to bind to a resource owns it. */
  async createBinding(caller: Caller, input: { endpointId: string; resourceType: string; resourceId: string; displayName: string }): Promise<EndpointBindingRecord> {
    const audited = { resourceType: input.resourceType, resourceId: input.resourceId };
    return this.calls.change(caller, "CreateEndpointBinding", audited, (inTransaction) => {
      const key = { resourceType: requireResourceType(input.resourceType), resourceId: requireResourceId(input.resourceId) };
      if (key.resourceType === GLOBAL_RESOURCE_TYPE) throw invalid("endpoints are bound to the resources that call them, not to GLOBAL");
      const displayName = input.displayName ? checkText("display_name", input.displayName, LIMIT.displayName) : "";
      return this.unique(() =>
        inTransaction(async (tx) => {
          await this.resources.require(tx, caller, "CreateEndpointBinding", key, { claim: true });
          const endpoint = await this.visibleEndpoint(tx, caller, { endpointId: input.endpointId });
          return this.store.createBinding(tx, { id: `b-${uuidv7()}`, endpointId: endpoint.id, ...key, displayName, createdBy: caller.principal.subject });
        }),
        () => new ServiceError("ALREADY_EXISTS", `endpoint ${input.endpointId} is already bound to ${key.resourceType}/${key.resourceId}`),
      );
    });
  }

  /** By resource: for those who may use the resource. By id: also for the endpoint's creator. */
  async deleteBinding(caller: Caller, lookup: EndpointBindingLookup): Promise<void> {
    const audited: Target = "bindingId" in lookup ? {} : { resourceType: lookup.resourceType, resourceId: lookup.resourceId };
    await this.calls.change(caller, "DeleteEndpointBinding", audited, (inTransaction) =>
      inTransaction(async (tx) => {
        let binding: EndpointBindingRecord | undefined;
        if ("bindingId" in lookup) {
          binding = await this.store.getBinding(tx, requireText("binding_id", lookup.bindingId, 64));
        } else {
          const key = { resourceType: requireResourceType(lookup.resourceType), resourceId: requireResourceId(lookup.resourceId) };
          await this.resources.require(tx, caller, "DeleteEndpointBinding", key);
          binding = await this.store.findBinding(tx, requireText("endpoint_id", lookup.endpointId, 64), key.resourceType, key.resourceId);
        }
        const label = "bindingId" in lookup ? `endpoint binding ${lookup.bindingId}` : `the binding of endpoint ${lookup.endpointId} to ${lookup.resourceType}/${lookup.resourceId}`;
        if (!binding) throw notFound(`${label} does not exist`);
        Object.assign(audited, { resourceType: binding.resourceType, resourceId: binding.resourceId });
        const resource = await this.resources.facts(tx, caller, binding);
        const endpoint = (await this.store.getEndpoint(tx, binding.endpointId))!;
        const ownsEndpoint = endpointAllowed(caller.principal, "modify", endpointFacts(endpoint));
        if (!resourceAllowed(caller.principal, "read", resource) && !ownsEndpoint) throw new ServiceError("NOT_FOUND", `${label} does not exist`, true);
        if (!resourceAllowed(caller.principal, "use", resource) && !ownsEndpoint) {
          throw new ServiceError("PERMISSION_DENIED", `only the owner of ${binding.resourceType}/${binding.resourceId}, its grantees, the endpoint's creator or an admin may remove this binding`);
        }
        await this.store.deleteBinding(tx, binding.id);
      }),
    );
  }

  async listBindings(caller: Caller, filter: { endpointId?: string; resourceType?: string; resourceId?: string }, page: PageRequest): Promise<{ items: EndpointBindingRecord[]; nextPageToken: string }> {
    return this.calls.read(caller, "ListEndpointBindings", { resourceType: filter.resourceType, resourceId: filter.resourceId }, async () => {
      if (filter.resourceType !== undefined) requireResourceType(filter.resourceType);
      const resourceId = filter.resourceId === undefined ? undefined : requireResourceId(filter.resourceId);
      const scoped = { ...filter, resourceId };
      const { after, limit } = readPage(page, scoped);
      const oneResource = scoped.resourceType !== undefined && resourceId !== undefined;
      if (oneResource) await this.resources.require(this.db, caller, "ListEndpointBindings", { resourceType: scoped.resourceType!, resourceId });
      const viewer = oneResource ? undefined : viewerOf(caller);
      return toPage(await this.store.listBindings(this.db, { ...scoped, viewer }, after, limit + 1), limit, scoped);
    });
  }

  /** A model definition's provider is its secret's, when the secret names one (MLflow let them differ: issue #25784). */
  private sameProvider(provider: string, secret: { id: string; provider: string | null }): void {
    if (secret.provider && this.canonicalProvider(secret.provider) !== this.canonicalProvider(provider)) {
      throw invalid(`secret ${secret.id} is for provider ${secret.provider}, not ${provider}`);
    }
  }

  // --- lookups under the policy

  private async visibleModel(ex: Executor, caller: Caller, lookup: { modelDefinitionId: string } | { name: string }, opts: { lock?: boolean } = {}): Promise<ModelDefinitionRecord> {
    const found =
      "modelDefinitionId" in lookup
        ? await this.store.getModelDefinition(ex, requireText("model_definition_id", lookup.modelDefinitionId, 64), opts)
        : await this.store.findModelDefinitionByName(ex, requireName("name", lookup.name, LIMIT.name));
    // One the caller may not see is reported exactly like one that does not exist.
    if (!found || !modelAllowed(caller.principal, "see", modelFacts(found))) {
      const message = "modelDefinitionId" in lookup ? `model definition ${lookup.modelDefinitionId} does not exist` : `no model definition named "${lookup.name}" is visible to you`;
      throw new ServiceError("NOT_FOUND", message, found !== undefined);
    }
    return found;
  }

  private async modifiableModel(ex: Executor, caller: Caller, rpc: Rpc, id: string): Promise<ModelDefinitionRecord> {
    const found = await this.visibleModel(ex, caller, { modelDefinitionId: id }, { lock: true });
    if (!modelAllowed(caller.principal, "modify", modelFacts(found))) throw new ServiceError("PERMISSION_DENIED", `${rpc}: only the creator of model definition ${id} or an admin may change it`);
    return found;
  }

  private async visibleEndpoint(ex: Executor, caller: Caller, lookup: { endpointId: string } | { name: string }, opts: { lock?: boolean } = {}): Promise<EndpointRecord> {
    const found =
      "endpointId" in lookup
        ? await this.store.getEndpoint(ex, requireText("endpoint_id", lookup.endpointId, 64), opts)
        : await this.store.findEndpointByName(ex, requireName("name", lookup.name, LIMIT.name));
    if (!found || !endpointAllowed(caller.principal, "see", endpointFacts(found))) {
      const message = "endpointId" in lookup ? `endpoint ${lookup.endpointId} does not exist` : `no endpoint named "${lookup.name}" is visible to you`;
      throw new ServiceError("NOT_FOUND", message, found !== undefined);
    }
    return found;
  }

  private async modifiableEndpoint(ex: Executor, caller: Caller, rpc: Rpc, id: string): Promise<EndpointRecord> {
    // Locked: changes to one endpoint's mappings queue here, so each sees the others' result.
    const found = await this.visibleEndpoint(ex, caller, { endpointId: id }, { lock: true });
    if (!endpointAllowed(caller.principal, "modify", endpointFacts(found))) throw new ServiceError("PERMISSION_DENIED", `${rpc}: only the creator of endpoint ${found.name} or an admin may change it`);
    return found;
  }

  /** Every model definition the configs name must exist and be visible to the caller: one query for all. */
  private async usableModels(ex: Executor, caller: Caller, configs: ModelConfig[]): Promise<void> {
    const ids = [...new Set(configs.map((c) => c.modelDefinitionId))];
    const found = new Map((await this.store.getModelDefinitions(ex, ids)).map((m) => [m.id, m]));
    const missing = ids.filter((id) => {
      const m = found.get(id);
      return !m || !modelAllowed(caller.principal, "see", modelFacts(m));
    });
    if (missing.length > 0) throw new ServiceError("NOT_FOUND", `model definitions not found: ${missing.join(", ")}`, missing.some((id) => found.has(id)));
  }

  /** Unique names: a violation is the ALREADY_EXISTS it means. */
  private async unique<T>(work: () => Promise<T>, onBinding?: () => ServiceError): Promise<T> {
    try {
      return await work();
    } catch (err) {
      switch (uniqueViolation(err)) {
        case "model_definitions_name_uq":
          throw new ServiceError("ALREADY_EXISTS", "a model definition of that name already exists");
        case "endpoints_name_uq":
          throw new ServiceError("ALREADY_EXISTS", "an endpoint of that name already exists");
        case "endpoint_bindings_uq":
          throw onBinding?.() ?? err;
        default:
          throw err;
      }
    }
  }
}

/** Lists are cut to what the caller may see; admins and services (which resolve every endpoint) see all. */
function viewerOf(caller: Caller): string | undefined {
  return hasRole(caller.principal, "service") ? undefined : listScope(caller.principal);
}

function newMapping(c: ModelConfig): NewMapping {
  return { id: `m-${uuidv7()}`, ...c };
}

function configOf(m: EndpointRecord["mappings"][number]): ModelConfig {
  return { modelDefinitionId: m.modelDefinition.id, linkageType: m.linkageType, weight: m.weight, fallbackOrder: m.fallbackOrder };
}

function fallbackOf(e: EndpointRecord): FallbackInput | undefined {
  return e.fallbackStrategy || e.fallbackMaxAttempts !== null ? { strategy: e.fallbackStrategy ?? undefined, maxAttempts: e.fallbackMaxAttempts ?? 0 } : undefined;
}

/** A fallback config is kept when given, and implied (SEQUENTIAL, every fallback) when there are fallbacks but none was given. */
function fallbackColumns(fallback: FallbackInput | undefined, configs: readonly ModelConfig[]): Pick<EndpointRecord, "fallbackStrategy" | "fallbackMaxAttempts"> {
  const fallbacks = configs.filter((c) => c.linkageType === "FALLBACK").length;
  if (fallback) return { fallbackStrategy: fallback.strategy ?? "SEQUENTIAL", fallbackMaxAttempts: fallback.maxAttempts || fallbacks };
  return fallbacks > 0 ? { fallbackStrategy: "SEQUENTIAL", fallbackMaxAttempts: fallbacks } : { fallbackStrategy: null, fallbackMaxAttempts: null };
}
