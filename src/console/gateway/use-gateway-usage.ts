import { type Endpoint, type EndpointBinding, GatewayService, type ModelDefinition } from "../../../gen/secrets/v1/gateway_pb.js";
import { useAllPages } from "../ui/use-all-pages.js";

export interface KeyUsage {
  endpoints: Endpoint[];
  bindings: EndpointBinding[];
}

/**
 * Which endpoints use each key, and which resources those endpoints serve,
 * joined here as MLflow's UI does (the API has no per-key counts): key ←
 * model definitions ← endpoint mappings ← endpoint bindings.
 *
 * Each list is read to its last page rather than per shown key: bindings
 * can only be asked for by endpoint, so "only what is shown" would cost a
 * call per key plus one per endpoint of each, and sorting by a count needs
 * every key's anyway; a whole list is one call per 1000 rows. `pending`
 * holds until all three are complete, so no count comes from part of a list.
 */
export function useGatewayUsage() {
  const models = useAllPages(GatewayService.method.listModelDefinitions, {}, (p) => p.modelDefinitions);
  const endpoints = useAllPages(GatewayService.method.listEndpoints, {}, (p) => p.endpoints);
  const bindings = useAllPages(GatewayService.method.listEndpointBindings, {}, (p) => p.bindings);
  const error = models.error ?? endpoints.error ?? bindings.error;
  const pending = !(models.complete && endpoints.complete && bindings.complete);
  const usageOf = (secretId: string): KeyUsage => {
    const modelIds = new Set(models.items.filter((m: ModelDefinition) => m.secretId === secretId).map((m) => m.modelDefinitionId));
    const using = endpoints.items.filter((e) => e.modelMappings.some((m) => modelIds.has(m.modelDefinitionId)));
    const ids = new Set(using.map((e) => e.endpointId));
    return { endpoints: using, bindings: bindings.items.filter((b) => ids.has(b.endpointId)) };
  };
  const bindingsOf = (endpointId: string) => bindings.items.filter((b) => b.endpointId === endpointId);
  return { pending, error, usageOf, bindingsOf, models: models.items, endpoints: endpoints.items };
}
