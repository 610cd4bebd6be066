import { invalid } from "../secrets/errors.js";
import type { LinkageType } from "../store/gateway-records.js";
import { requireText } from "../secrets/validation.js";

/** A model an endpoint should use, as a request gives it (linkage already read from the wire). */
export interface ModelConfigInput {
  modelDefinitionId: string;
  /** undefined: PRIMARY. */
  linkageType: LinkageType | undefined;
  weight: number | undefined;
  fallbackOrder: number | undefined;
}

export interface ModelConfig {
  modelDefinitionId: string;
  linkageType: LinkageType;
  weight: number;
  fallbackOrder: number | null;
}

export interface FallbackInput {
  strategy: "SEQUENTIAL" | undefined;
  maxAttempts: number;
}

const MAX_MODELS = 100;

/** One model config on its own: a fallback needs an order, a primary has none, weights are positive. */
export function checkModelConfig(input: ModelConfigInput, where = "model_config"): ModelConfig {
  const modelDefinitionId = requireText(`${where}.model_definition_id`, input.modelDefinitionId, 64);
  const linkageType = input.linkageType ?? "PRIMARY";
  const weight = input.weight ?? 1;
  if (!Number.isFinite(weight) || weight <= 0) throw invalid(`${where}.weight must be a number greater than 0`);
  if (linkageType === "FALLBACK") {
    if (input.fallbackOrder === undefined) throw invalid(`${where} is a FALLBACK without fallback_order: say where it comes in the order (0 first)`);
    if (!Number.isInteger(input.fallbackOrder) || input.fallbackOrder < 0) throw invalid(`${where}.fallback_order must be a whole number, 0 or more`);
  } else if (input.fallbackOrder !== undefined) {
    throw invalid(`${where}.fallback_order is only for FALLBACK models`);
  }
  return { modelDefinitionId, linkageType, weight, fallbackOrder: linkageType === "FALLBACK" ? input.fallbackOrder! : null };
}

/**
 * A whole endpoint's models: at least one PRIMARY, fallback orders unique,
 * a model at most once per linkage (once as PRIMARY and once as FALLBACK is
 * allowed, as in MLflow), and max_attempts within the fallbacks there are.
 */
export function checkModelConfigs(inputs: ModelConfigInput[], fallback: FallbackInput | undefined): ModelConfig[] {
  if (inputs.length > MAX_MODELS) throw invalid(`an endpoint has at most ${MAX_MODELS} models`);
  const configs = inputs.map((c, i) => checkModelConfig(c, `model_configs[${i}]`));
  if (!configs.some((c) => c.linkageType === "PRIMARY")) throw invalid("an endpoint needs at least one PRIMARY model");
  const seen = new Set<string>();
  const orders = new Set<number>();
  for (const c of configs) {
    const key = `${c.modelDefinitionId} ${c.linkageType}`;
    if (seen.has(key)) throw invalid(`model definition ${c.modelDefinitionId} is given twice as ${c.linkageType}`);
    seen.add(key);
    if (c.fallbackOrder !== null) {
      if (orders.has(c.fallbackOrder)) throw invalid(`fallback_order ${c.fallbackOrder} is given to two models: each fallback needs its own place`);
      orders.add(c.fallbackOrder);
    }
  }
  checkFallback(fallback, orders.size);
  return configs;
}

export function checkFallback(fallback: FallbackInput | undefined, fallbacks: number): void {
  if (!fallback) return;
  if (!Number.isInteger(fallback.maxAttempts) || fallback.maxAttempts < 0) throw invalid("fallback_config.max_attempts must be a whole number, 0 or more");
  if (fallback.maxAttempts > fallbacks) {
    throw invalid(`fallback_config.max_attempts is ${fallback.maxAttempts} but the endpoint has ${fallbacks} fallback model${fallbacks === 1 ? "" : "s"}`);
  }
}
