import { create } from "@bufbuild/protobuf";
import {
  CredentialSource,
  type Endpoint,
  type EndpointBinding,
  EndpointBindingSchema,
  type EndpointConfig as EndpointConfigMessage,
  EndpointConfigSchema,
  type EndpointModelConfig,
  type EndpointModelMapping,
  EndpointModelMappingSchema,
  EndpointSchema,
  type FallbackConfig,
  FallbackStrategy,
  type GatewaySecretInfo,
  GatewaySecretInfoSchema,
  LinkageType,
  type ModelDefinition,
  ModelDefinitionSchema,
  RoutingStrategy,
  UnavailableReason,
} from "../../gen/secrets/v1/gateway_pb.js";
import type { FallbackInput, ModelConfigInput } from "../gateway/model-configs.js";
import type { EndpointConfig } from "../gateway/resolver.js";
import { invalid } from "../secrets/errors.js";
import type { EndpointBindingRecord, EndpointRecord, LinkageType as Linkage, MappingRecord, ModelDefinitionRecord } from "../store/gateway-records.js";
import type { SecretRecord } from "../store/records.js";

const ms = (d: Date): bigint => BigInt(d.getTime());

// --- from the wire: an enum value the contract does not know is refused, not defaulted.

export function linkageFrom(v: LinkageType, field = "linkage_type"): Linkage | undefined {
  switch (v) {
    case LinkageType.UNSPECIFIED:
      return undefined;
    case LinkageType.PRIMARY:
      return "PRIMARY";
    case LinkageType.FALLBACK:
      return "FALLBACK";
    default:
      throw invalid(`${field} must be PRIMARY or FALLBACK`);
  }
}

export function routingFrom(v: RoutingStrategy | undefined): "REQUEST_BASED_TRAFFIC_SPLIT" | undefined {
  if (v === undefined || v === RoutingStrategy.UNSPECIFIED) return undefined;
  if (v === RoutingStrategy.REQUEST_BASED_TRAFFIC_SPLIT) return "REQUEST_BASED_TRAFFIC_SPLIT";
  throw invalid("routing_strategy must be REQUEST_BASED_TRAFFIC_SPLIT");
}

export function fallbackFrom(v: FallbackConfig | undefined): FallbackInput | undefined {
  if (!v) return undefined;
  if (v.strategy !== FallbackStrategy.UNSPECIFIED && v.strategy !== FallbackStrategy.SEQUENTIAL) throw invalid("fallback_config.strategy must be SEQUENTIAL");
  return { strategy: v.strategy === FallbackStrategy.SEQUENTIAL ? "SEQUENTIAL" : undefined, maxAttempts: v.maxAttempts };
}

export function modelConfigFrom(c: EndpointModelConfig | undefined, i?: number): ModelConfigInput {
  const where = i === undefined ? "model_config" : `model_configs[${i}]`;
  if (!c) throw invalid(`${where} is required`);
  return { modelDefinitionId: c.modelDefinitionId, linkageType: linkageFrom(c.linkageType, `${where}.linkage_type`), weight: c.weight, fallbackOrder: c.fallbackOrder };
}

// --- to the wire

const linkageTo = (l: Linkage): LinkageType => (l === "PRIMARY" ? LinkageType.PRIMARY : LinkageType.FALLBACK);

function fallbackTo(e: Pick<EndpointRecord, "fallbackStrategy" | "fallbackMaxAttempts">): FallbackConfig | undefined {
  if (e.fallbackStrategy === null && e.fallbackMaxAttempts === null) return undefined;
  return { $typeName: "secrets.v1.FallbackConfig", strategy: e.fallbackStrategy === "SEQUENTIAL" ? FallbackStrategy.SEQUENTIAL : FallbackStrategy.UNSPECIFIED, maxAttempts: e.fallbackMaxAttempts ?? 0 };
}

export function modelDefinitionToProto(m: ModelDefinitionRecord): ModelDefinition {
  return create(ModelDefinitionSchema, {
    modelDefinitionId: m.id,
    name: m.name,
    secretId: m.secretId ?? "",
    secretName: m.secretName ?? "",
    provider: m.provider,
    modelName: m.modelName,
    createdBy: m.createdBy,
    createdAt: ms(m.createdAt),
    lastUpdatedBy: m.lastUpdatedBy,
    lastUpdatedAt: ms(m.lastUpdatedAt),
  });
}

export function mappingToProto(m: MappingRecord): EndpointModelMapping {
  return create(EndpointModelMappingSchema, {
    mappingId: m.id,
    endpointId: m.endpointId,
    modelDefinitionId: m.modelDefinition.id,
    modelDefinition: modelDefinitionToProto(m.modelDefinition),
    weight: m.weight,
    linkageType: linkageTo(m.linkageType),
    fallbackOrder: m.fallbackOrder ?? undefined,
    createdBy: m.createdBy,
    createdAt: ms(m.createdAt),
  });
}

export function endpointToProto(e: EndpointRecord): Endpoint {
  return create(EndpointSchema, {
    endpointId: e.id,
    name: e.name,
    modelMappings: e.mappings.map(mappingToProto),
    tags: e.tags,
    routingStrategy: RoutingStrategy.REQUEST_BASED_TRAFFIC_SPLIT,
    fallbackConfig: fallbackTo(e),
    createdBy: e.createdBy,
    createdAt: ms(e.createdAt),
    lastUpdatedBy: e.lastUpdatedBy,
    lastUpdatedAt: ms(e.lastUpdatedAt),
  });
}

export function endpointBindingToProto(b: EndpointBindingRecord): EndpointBinding {
  return create(EndpointBindingSchema, { bindingId: b.id, endpointId: b.endpointId, endpointName: b.endpointName, resourceType: b.resourceType, resourceId: b.resourceId, displayName: b.displayName, createdBy: b.createdBy, createdAt: ms(b.createdAt) });
}

const REASONS = {
  SECRET_MISSING: UnavailableReason.SECRET_MISSING,
  SECRET_REVOKED: UnavailableReason.SECRET_REVOKED,
  SECRET_UNDECRYPTABLE: UnavailableReason.SECRET_UNDECRYPTABLE,
  NO_CREDENTIAL: UnavailableReason.NO_CREDENTIAL,
} as const;
const SOURCES = { MODEL_SECRET: CredentialSource.MODEL_SECRET, PROVIDER_KEY: CredentialSource.PROVIDER_KEY, SHARED_PROVIDER_KEY: CredentialSource.SHARED_PROVIDER_KEY } as const;

export function endpointConfigToProto(c: EndpointConfig): EndpointConfigMessage {
  return create(EndpointConfigSchema, {
    endpointId: c.endpointId,
    endpointName: c.endpointName,
    routingStrategy: RoutingStrategy.REQUEST_BASED_TRAFFIC_SPLIT,
    fallbackConfig: fallbackTo(c),
    models: c.models.map((m) => ({
      modelDefinitionId: m.modelDefinitionId,
      name: m.name,
      provider: m.provider,
      modelName: m.modelName,
      ...("value" in m.value ? { value: m.value.value } : { fields: m.value.fields }),
      authConfig: m.authConfig,
      weight: m.weight,
      linkageType: linkageTo(m.linkageType),
      fallbackOrder: m.fallbackOrder ?? undefined,
      secretId: m.secretId,
      version: m.version,
      credentialSource: SOURCES[m.credentialSource],
    })),
    unavailable: c.unavailable.map((u) => ({
      modelDefinitionId: u.modelDefinitionId,
      name: u.name,
      provider: u.provider,
      modelName: u.modelName,
      linkageType: linkageTo(u.linkageType),
      reason: REASONS[u.reason],
      message: u.message,
      secretId: u.secretId ?? "",
    })),
  });
}

/** A secret as MLflow's gateway shows an API key: masks by field (a single value under "value"). */
export function gatewaySecretToProto(s: SecretRecord): GatewaySecretInfo {
  return create(GatewaySecretInfoSchema, {
    secretId: s.id,
    secretName: s.name,
    maskedValues: s.maskedValue ? { value: s.maskedValue } : s.maskedFields,
    provider: s.provider ?? "",
    authConfig: s.authConfig,
    createdBy: s.createdBy,
    createdAt: ms(s.createdAt),
    lastUpdatedBy: s.lastUpdatedBy,
    lastUpdatedAt: ms(s.lastUpdatedAt),
    isShared: s.isShared,
    fieldName: s.fieldName,
  });
}
