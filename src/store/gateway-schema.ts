import { sql } from "drizzle-orm";
import { doublePrecision, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { secrets } from "./schema.js";

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** MLflow's gateway model definitions: a (provider, model, secret) triple that endpoints reuse. */
export const modelDefinitions = pgTable(
  "model_definitions",
  {
    id: text("model_definition_id").primaryKey(),
    name: text("name").notNull(),
    // Deleting the secret orphans the definition, which then shows as needing a key.
    secretId: text("secret_id").references(() => secrets.id, { onDelete: "set null" }),
    provider: text("provider").notNull(),
    modelName: text("model_name").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
    lastUpdatedBy: text("last_updated_by").notNull(),
    lastUpdatedAt: at("last_updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("model_definitions_name_uq").on(t.name), index("model_definitions_secret_idx").on(t.secretId), index("model_definitions_provider_idx").on(t.provider)],
);

export const endpoints = pgTable(
  "endpoints",
  {
    id: text("endpoint_id").primaryKey(),
    // The address services resolve an endpoint by: unique.
    name: text("name").notNull(),
    routingStrategy: text("routing_strategy", { enum: ["REQUEST_BASED_TRAFFIC_SPLIT"] }).notNull(),
    fallbackStrategy: text("fallback_strategy", { enum: ["SEQUENTIAL"] }),
    fallbackMaxAttempts: integer("fallback_max_attempts"),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
    lastUpdatedBy: text("last_updated_by").notNull(),
    lastUpdatedAt: at("last_updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("endpoints_name_uq").on(t.name)],
);

export const endpointModelMappings = pgTable(
  "endpoint_model_mappings",
  {
    id: text("mapping_id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => endpoints.id, { onDelete: "cascade" }),
    // No ON DELETE: a model definition in use cannot be deleted.
    modelDefinitionId: text("model_definition_id")
      .notNull()
      .references(() => modelDefinitions.id),
    weight: doublePrecision("weight").notNull().default(1),
    linkageType: text("linkage_type", { enum: ["PRIMARY", "FALLBACK"] }).notNull(),
    fallbackOrder: integer("fallback_order"),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    // Once as PRIMARY and once as FALLBACK is allowed, as in MLflow.
    uniqueIndex("endpoint_model_mappings_model_uq").on(t.endpointId, t.modelDefinitionId, t.linkageType),
    uniqueIndex("endpoint_model_mappings_fallback_order_uq").on(t.endpointId, t.fallbackOrder).where(sql`${t.fallbackOrder} IS NOT NULL`),
    index("endpoint_model_mappings_model_idx").on(t.modelDefinitionId),
  ],
);

export const endpointTags = pgTable(
  "endpoint_tags",
  {
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => endpoints.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.key] })],
);

export const endpointBindings = pgTable(
  "endpoint_bindings",
  {
    id: text("binding_id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => endpoints.id, { onDelete: "cascade" }),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    displayName: text("display_name").notNull().default(""),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("endpoint_bindings_uq").on(t.endpointId, t.resourceType, t.resourceId),
    index("endpoint_bindings_resource_idx").on(t.resourceType, t.resourceId),
  ],
);
