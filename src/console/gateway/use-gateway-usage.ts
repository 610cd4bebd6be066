import { useQuery } from "@connectrpc/connect-query";
import { type Endpoint, type EndpointBinding, GatewayService, type ModelDefinition } from "../../../gen/secrets/v1/gateway_pb.js";
import { USAGE_PAGE } from "../secrets/use-secret-usage.js";

export interface KeyUsage {
  endpoints: Endpoint[];
  bindings: EndpointBinding[];
}

/**
 * Which endpoints use each key, and which resources those endpoints serve,
 * joined here as MLflow's UI does (the API has no per-key counts): key ←
 * model definitions ← endpoint mappings ← endpoint bindings.
 */
export function useGatewayUsage() {
  const models = useQuery(GatewayService.method.listModelDefinitions, { pageSize: USAGE_PAGE });
  const endpoints = useQuery(GatewayService.method.listEndpoints, { pageSize: USAGE_PAGE });
  const bindings = useQuery(GatewayService.method.listEndpointBindings, { pageSize: USAGE_PAGE });
  const error = models.error ?? endpoints.error ?? bindings.error;
  const pending = models.isPending || endpoints.isPending || bindings.isPending;
  const usageOf = (secretId: string): KeyUsage => {
    const modelIds = new Set((models.data?.modelDefinitions ?? []).filter((m: ModelDefinition) => m.secretId === secretId).map((m) => m.modelDefinitionId));
    const using = (endpoints.data?.endpoints ?? []).filter((e) => e.modelMappings.some((m) => modelIds.has(m.modelDefinitionId)));
    const ids = new Set(using.map((e) => e.endpointId));
    return { endpoints: using, bindings: (bindings.data?.bindings ?? []).filter((b) => ids.has(b.endpointId)) };
  };
  const bindingsOf = (endpointId: string) => (bindings.data?.bindings ?? []).filter((b) => b.endpointId === endpointId);
  return { pending, error, usageOf, bindingsOf, models: models.data?.modelDefinitions ?? [], endpoints: endpoints.data?.endpoints ?? [] };
}
