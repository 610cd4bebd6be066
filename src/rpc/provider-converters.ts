import { create } from "@bufbuild/protobuf";
import {
  type AuthMode as AuthModeMessage,
  AuthModeSchema,
  type Model,
  ModelSchema,
  type Provider,
  type ProviderCheck,
  ProviderCheckSchema,
  type ProviderKey,
  ProviderKeySchema,
  ProviderSchema,
} from "../../gen/secrets/v1/providers_pb.js";
import type { AuthField, AuthMode } from "../providers/auth-modes.js";
import type { CatalogModel, CatalogProvider } from "../providers/catalog.js";
import type { CredentialFindings } from "../secrets/credential-rules.js";
import type { ProviderKeyRecord } from "../store/provider-key-store.js";

const field = (f: AuthField) => ({ name: f.name, description: f.description, required: f.required, default: f.defaultValue ?? "", envVar: f.envVar ?? "" });

export function authModeToProto(m: AuthMode): AuthModeMessage {
  return create(AuthModeSchema, { mode: m.name, displayName: m.displayName, description: m.description, secretFields: m.secretFields.map(field), configFields: m.configFields.map(field) });
}

export function providerToProto(p: CatalogProvider): Provider {
  return create(ProviderSchema, {
    providerId: p.id,
    displayName: p.displayName,
    documentationUrl: p.documentationUrl,
    defaultApiBase: p.defaultApiBase,
    authModes: p.authModes.map(authModeToProto),
    defaultMode: p.defaultMode,
    defaultEnvVar: p.defaultEnvVar,
    modelCount: p.models.length,
  });
}

export function modelToProto(m: CatalogModel): Model {
  return create(ModelSchema, {
    model: m.id,
    provider: m.provider,
    displayName: m.displayName,
    contextWindow: BigInt(m.contextWindow),
    maxOutputTokens: BigInt(m.maxOutputTokens),
    supportsFunctionCalling: m.supportsTools,
    supportsVision: m.supportsVision,
    supportsReasoning: m.supportsReasoning,
    inputCostPerMillionTokens: m.inputCostPerMillion,
    outputCostPerMillionTokens: m.outputCostPerMillion,
    releaseDate: m.releaseDate,
  });
}

export function providerKeyToProto(k: ProviderKeyRecord): ProviderKey {
  return create(ProviderKeySchema, {
    provider: k.provider,
    principal: k.principal,
    isShared: k.isShared,
    secretId: k.secretId,
    secretName: k.secretName,
    maskedValues: k.maskedValue ? { value: k.maskedValue } : k.maskedFields,
    setBy: k.setBy,
    setAt: BigInt(k.setAt.getTime()),
  });
}

export function providerCheckToProto(f: CredentialFindings): ProviderCheck {
  return create(ProviderCheckSchema, { catalogued: f.catalogued, modelCatalogued: f.modelCatalogued ?? false, authMode: f.authMode });
}
