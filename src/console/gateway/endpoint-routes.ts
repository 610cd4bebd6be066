import { type EndpointModelMapping, LinkageType } from "../../../gen/secrets/v1/gateway_pb.js";

/** How a mapping is routed, in words: "weight 70 (70%)" or "fallback 1" (fallback_order is zero-based). */
export function routeOf(m: EndpointModelMapping, totalWeight?: number): string {
  if (m.linkageType === LinkageType.FALLBACK) return `fallback ${(m.fallbackOrder ?? 0) + 1}`;
  return totalWeight ? `weight ${m.weight} (${Math.round((m.weight / totalWeight) * 100)}%)` : `weight ${m.weight}`;
}
