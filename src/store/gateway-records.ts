/** What leaves the gateway store: configuration only, never a value or ciphertext. */

export type LinkageType = "PRIMARY" | "FALLBACK";

export interface ModelDefinitionRecord {
  id: string;
  name: string;
  /** null once its secret was deleted. */
  secretId: string | null;
  secretName: string | null;
  /** Whether its secret is shared, and whose it is: what visibility depends on. null when orphaned. */
  secretIsShared: boolean | null;
  secretOwner: string | null;
  provider: string;
  modelName: string;
  createdBy: string;
  createdAt: Date;
  lastUpdatedBy: string;
  lastUpdatedAt: Date;
}

export interface MappingRecord {
  id: string;
  endpointId: string;
  modelDefinition: ModelDefinitionRecord;
  weight: number;
  linkageType: LinkageType;
  fallbackOrder: number | null;
  createdBy: string;
  createdAt: Date;
}

export interface EndpointRecord {
  id: string;
  name: string;
  routingStrategy: "REQUEST_BASED_TRAFFIC_SPLIT";
  fallbackStrategy: "SEQUENTIAL" | null;
  fallbackMaxAttempts: number | null;
  /** Primaries first, then fallbacks by fallback order. */
  mappings: MappingRecord[];
  tags: Array<{ key: string; value: string }>;
  createdBy: string;
  createdAt: Date;
  lastUpdatedBy: string;
  lastUpdatedAt: Date;
}

export interface EndpointBindingRecord {
  id: string;
  endpointId: string;
  endpointName: string;
  resourceType: string;
  resourceId: string;
  displayName: string;
  createdBy: string;
  createdAt: Date;
}

/** One model of one endpoint to resolve: a row of the resolution query. */
export interface ResolvableModel {
  endpointId: string;
  endpointName: string;
  routingStrategy: EndpointRecord["routingStrategy"];
  fallbackStrategy: EndpointRecord["fallbackStrategy"];
  fallbackMaxAttempts: number | null;
  /** The rest is null for an endpoint without models. */
  modelDefinitionId: string | null;
  name: string | null;
  provider: string | null;
  modelName: string | null;
  secretId: string | null;
  /** Whose provider keys the model falls back to. */
  modelOwner: string | null;
  weight: number | null;
  linkageType: LinkageType | null;
  fallbackOrder: number | null;
}
