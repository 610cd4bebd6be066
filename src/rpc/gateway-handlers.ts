import type { ServiceImpl } from "@connectrpc/connect";
import type { GatewayService as GatewayServiceDesc } from "../../gen/secrets/v1/gateway_pb.js";
import type { ConfigResolver } from "../gateway/resolver.js";
import type { GatewayService } from "../gateway/service.js";
import type { SecretsService } from "../secrets/service.js";
import type { ProviderCatalog } from "../providers/catalog.js";
import type { CredentialRules } from "../secrets/credential-rules.js";
import type { ModelDefinitionRecord } from "../store/gateway-records.js";
import { callerOf } from "./context.js";
import { providerCheckOf } from "./provider-check.js";
import {
  endpointBindingToProto,
  endpointConfigToProto,
  endpointToProto,
  fallbackFrom,
  gatewaySecretToProto,
  linkageFrom,
  mappingToProto,
  modelConfigFrom,
  modelDefinitionToProto,
  routingFrom,
} from "./gateway-converters.js";

/** Thin handlers: read the caller, call the domain, convert. MLflow's API-key RPCs are served by the secrets domain. */
export function gatewayHandlers(
  gateway: GatewayService,
  resolver: ConfigResolver,
  secrets: SecretsService,
  rules: CredentialRules,
  catalog: Pick<ProviderCatalog, "envVarFor">,
): ServiceImpl<typeof GatewayServiceDesc> {
  const checkOf = (m: ModelDefinitionRecord) => providerCheckOf(rules, { provider: m.provider, model: m.modelName, authConfig: {} }, undefined);
  return {
    async createModelDefinition(req, ctx) {
      const created = await gateway.createModelDefinition(callerOf(ctx), req);
      return { modelDefinition: modelDefinitionToProto(created), providerCheck: checkOf(created) };
    },
    async getModelDefinition(req, ctx) {
      const lookup = req.modelDefinitionId ? { modelDefinitionId: req.modelDefinitionId } : { name: req.name };
      return { modelDefinition: modelDefinitionToProto(await gateway.getModelDefinition(callerOf(ctx), lookup)) };
    },
    async listModelDefinitions(req, ctx) {
      const page = await gateway.listModelDefinitions(callerOf(ctx), { provider: req.provider, secretId: req.secretId }, req);
      return { modelDefinitions: page.items.map(modelDefinitionToProto), nextPageToken: page.nextPageToken };
    },
    async updateModelDefinition(req, ctx) {
      const updated = await gateway.updateModelDefinition(callerOf(ctx), req);
      return { modelDefinition: modelDefinitionToProto(updated), providerCheck: checkOf(updated) };
    },
    async deleteModelDefinition(req, ctx) {
      await gateway.deleteModelDefinition(callerOf(ctx), req.modelDefinitionId);
      return {};
    },

    async createEndpoint(req, ctx) {
      const endpoint = await gateway.createEndpoint(callerOf(ctx), {
        name: req.name,
        modelConfigs: req.modelConfigs.map(modelConfigFrom),
        routingStrategy: routingFrom(req.routingStrategy),
        fallback: fallbackFrom(req.fallbackConfig),
      });
      return { endpoint: endpointToProto(endpoint) };
    },
    async getEndpoint(req, ctx) {
      const lookup = req.endpointId ? { endpointId: req.endpointId } : { name: req.name };
      return { endpoint: endpointToProto(await gateway.getEndpoint(callerOf(ctx), lookup)) };
    },
    async listEndpoints(req, ctx) {
      const page = await gateway.listEndpoints(callerOf(ctx), { provider: req.provider, secretId: req.secretId }, req);
      return { endpoints: page.items.map(endpointToProto), nextPageToken: page.nextPageToken };
    },
    async updateEndpoint(req, ctx) {
      const endpoint = await gateway.updateEndpoint(callerOf(ctx), {
        endpointId: req.endpointId,
        name: req.name,
        modelConfigs: req.modelConfigs.map(modelConfigFrom),
        routingStrategy: routingFrom(req.routingStrategy),
        fallback: fallbackFrom(req.fallbackConfig),
      });
      return { endpoint: endpointToProto(endpoint) };
    },
    async deleteEndpoint(req, ctx) {
      await gateway.deleteEndpoint(callerOf(ctx), req.endpointId);
      return {};
    },
    async attachModelToEndpoint(req, ctx) {
      return { mapping: mappingToProto(await gateway.attachModel(callerOf(ctx), req.endpointId, modelConfigFrom(req.modelConfig))) };
    },
    async detachModelFromEndpoint(req, ctx) {
      await gateway.detachModel(callerOf(ctx), req.endpointId, req.modelDefinitionId, req.linkageType === undefined ? undefined : linkageFrom(req.linkageType));
      return {};
    },
    async setEndpointTag(req, ctx) {
      await gateway.setTag(callerOf(ctx), req.endpointId, req.key, req.value);
      return {};
    },
    async deleteEndpointTag(req, ctx) {
      await gateway.deleteTag(callerOf(ctx), req.endpointId, req.key);
      return {};
    },

    async createEndpointBinding(req, ctx) {
      return { binding: endpointBindingToProto(await gateway.createBinding(callerOf(ctx), req)) };
    },
    async deleteEndpointBinding(req, ctx) {
      const { bindingId, endpointId, resourceType, resourceId } = req;
      await gateway.deleteBinding(callerOf(ctx), bindingId ? { bindingId } : { endpointId, resourceType, resourceId });
      return {};
    },
    async listEndpointBindings(req, ctx) {
      const page = await gateway.listBindings(callerOf(ctx), { endpointId: req.endpointId, resourceType: req.resourceType, resourceId: req.resourceId }, req);
      return { bindings: page.items.map(endpointBindingToProto), nextPageToken: page.nextPageToken };
    },

    async getResourceEndpointConfigs(req, ctx) {
      const configs = await resolver.forResource(callerOf(ctx), req.resourceType, req.resourceId, req.onBehalfOf);
      return { configs: configs.map(endpointConfigToProto) };
    },
    async getEndpointConfig(req, ctx) {
      return { config: endpointConfigToProto(await resolver.forEndpoint(callerOf(ctx), req.endpointName, req.onBehalfOf)) };
    },

    async createGatewaySecret(req, ctx) {
      const { secret } = await secrets.createSecret(callerOf(ctx), {
        secretName: req.secretName,
        secretFields: req.secretValue,
        fieldName: req.fieldName || catalog.envVarFor(req.provider),
        provider: req.provider || undefined,
        authConfig: req.authConfig,
        isShared: req.isShared,
        requestId: "",
      });
      return { secret: gatewaySecretToProto(secret) };
    },
    async getGatewaySecretInfo(req, ctx) {
      const lookup = req.secretId ? { secretId: req.secretId } : { secretName: req.secretName };
      return { secret: gatewaySecretToProto(await secrets.getSecret(callerOf(ctx), lookup)) };
    },
    async updateGatewaySecret(req, ctx) {
      const secret = await secrets.updateSecret(callerOf(ctx), { secretId: req.secretId, secretFields: req.secretValue, authConfig: req.authConfig, clearAuthConfig: false });
      return { secret: gatewaySecretToProto(secret) };
    },
    async deleteGatewaySecret(req, ctx) {
      await secrets.deleteSecret(callerOf(ctx), req.secretId);
      return {};
    },
    async listGatewaySecretInfos(req, ctx) {
      const page = await secrets.listSecrets(callerOf(ctx), { provider: req.provider }, req);
      return { secrets: page.items.map(gatewaySecretToProto), nextPageToken: page.nextPageToken };
    },
  };
}
