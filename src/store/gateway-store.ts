import { type SQL, and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { endpointBindings, endpointModelMappings, endpointTags, endpoints, modelDefinitions } from "./gateway-schema.js";
import type { EndpointBindingRecord, EndpointRecord, LinkageType, MappingRecord, ModelDefinitionRecord, ResolvableModel } from "./gateway-records.js";
import { preparedQuery } from "./prepared.js";
import { secrets } from "./schema.js";
import type { Executor } from "./secrets-store.js";

const modelColumns = {
  id: modelDefinitions.id,
  name: modelDefinitions.name,
  secretId: modelDefinitions.secretId,
  secretName: secrets.name,
  secretIsShared: secrets.isShared,
  secretOwner: secrets.createdBy,
  provider: modelDefinitions.provider,
  modelName: modelDefinitions.modelName,
  createdBy: modelDefinitions.createdBy,
  createdAt: modelDefinitions.createdAt,
  lastUpdatedBy: modelDefinitions.lastUpdatedBy,
  lastUpdatedAt: modelDefinitions.lastUpdatedAt,
};

/**
 * Visibility in SQL, for lists (the same rules as the policy's, which decide
 * for one object): a model definition is the viewer's own, or on a secret
 * the viewer may see; an endpoint is the viewer's own, or uses only model
 * definitions the viewer may see. Written out: drizzle leaves columns
 * unqualified inside sql``.
 */
const modelVisible = (viewer: string, d: string, s: string): SQL =>
  sql`(${sql.raw(d)}.created_by = ${viewer} or coalesce(${sql.raw(s)}.is_shared, false) or ${sql.raw(s)}.created_by = ${viewer})`;

const endpointVisible = (viewer: string): SQL => sql`("endpoints"."created_by" = ${viewer} or not exists (
  select 1 from endpoint_model_mappings vm join model_definitions vd on vd.model_definition_id = vm.model_definition_id
  left join secrets vs on vs.secret_id = vd.secret_id
  where vm.endpoint_id = "endpoints"."endpoint_id" and not coalesce(${modelVisible(viewer, "vd", "vs")}, false)))`;

export interface ModelDefinitionFilter {
  provider?: string;
  secretId?: string;
  /** Only what this principal may see; unset = all (admins, services). */
  viewer?: string;
}

export interface EndpointFilter extends ModelDefinitionFilter {}

export interface EndpointBindingFilter {
  endpointId?: string;
  resourceType?: string;
  resourceId?: string;
  /** Only bindings on resources the viewer owns or was granted, or of its own endpoints; unset = all. */
  viewer?: string;
}

export type NewModelDefinition = Pick<ModelDefinitionRecord, "id" | "name" | "secretId" | "provider" | "modelName" | "createdBy">;
export type ModelDefinitionChanges = Partial<Pick<ModelDefinitionRecord, "name" | "secretId" | "provider" | "modelName">> & { updatedBy: string };

export interface NewMapping {
  id: string;
  modelDefinitionId: string;
  weight: number;
  linkageType: LinkageType;
  fallbackOrder: number | null;
}

export type NewEndpoint = Pick<EndpointRecord, "id" | "name" | "routingStrategy" | "fallbackStrategy" | "fallbackMaxAttempts" | "createdBy">;
export type EndpointChanges = Partial<Pick<EndpointRecord, "name" | "routingStrategy" | "fallbackStrategy" | "fallbackMaxAttempts">> & { updatedBy: string };

const resolvableColumns = {
  endpointId: endpoints.id,
  endpointName: endpoints.name,
  routingStrategy: endpoints.routingStrategy,
  fallbackStrategy: endpoints.fallbackStrategy,
  fallbackMaxAttempts: endpoints.fallbackMaxAttempts,
  modelDefinitionId: modelDefinitions.id,
  name: modelDefinitions.name,
  provider: modelDefinitions.provider,
  modelName: modelDefinitions.modelName,
  secretId: modelDefinitions.secretId,
  modelOwner: modelDefinitions.createdBy,
  weight: endpointModelMappings.weight,
  linkageType: endpointModelMappings.linkageType,
  fallbackOrder: endpointModelMappings.fallbackOrder,
};

// Primaries first, then fallbacks in their order: the order configs are handed out in.
const mappingOrder = [sql`(${endpointModelMappings.linkageType} = 'FALLBACK')`, sql`${endpointModelMappings.fallbackOrder} nulls first`, asc(endpointModelMappings.id)];

/** Every model of every endpoint bound to a resource, in one query (prepared: a service calls it on every job start). */
const resolvableOfResource = preparedQuery<{ resourceType: string; resourceId: string }, ResolvableModel[]>("gateway_resolvable_of_resource", (ex) =>
  ex
    .select(resolvableColumns)
    .from(endpointBindings)
    .innerJoin(endpoints, eq(endpoints.id, endpointBindings.endpointId))
    .leftJoin(endpointModelMappings, eq(endpointModelMappings.endpointId, endpoints.id))
    .leftJoin(modelDefinitions, eq(modelDefinitions.id, endpointModelMappings.modelDefinitionId))
    .where(and(eq(endpointBindings.resourceType, sql.placeholder("resourceType")), eq(endpointBindings.resourceId, sql.placeholder("resourceId"))))
    .orderBy(asc(endpoints.name), ...mappingOrder),
);

const resolvableOfEndpoint = preparedQuery<{ name: string }, ResolvableModel[]>("gateway_resolvable_of_endpoint", (ex) =>
  ex
    .select(resolvableColumns)
    .from(endpoints)
    .leftJoin(endpointModelMappings, eq(endpointModelMappings.endpointId, endpoints.id))
    .leftJoin(modelDefinitions, eq(modelDefinitions.id, endpointModelMappings.modelDefinitionId))
    .where(eq(endpoints.name, sql.placeholder("name")))
    .orderBy(...mappingOrder),
);

/** Model definitions, endpoints with their mappings and tags, and endpoint bindings. */
export class GatewayStore {
  // --- model definitions

  async createModelDefinition(ex: Executor, input: NewModelDefinition): Promise<ModelDefinitionRecord> {
    await ex.insert(modelDefinitions).values({ ...input, lastUpdatedBy: input.createdBy });
    return (await this.getModelDefinition(ex, input.id))!;
  }

  async getModelDefinition(ex: Executor, id: string, opts: { lock?: boolean } = {}): Promise<ModelDefinitionRecord | undefined> {
    const q = ex.select(modelColumns).from(modelDefinitions).leftJoin(secrets, eq(secrets.id, modelDefinitions.secretId)).where(eq(modelDefinitions.id, id));
    const rows = opts.lock ? await q.for("update", { of: modelDefinitions }) : await q;
    return rows[0];
  }

  async findModelDefinitionByName(ex: Executor, name: string): Promise<ModelDefinitionRecord | undefined> {
    const rows = await ex.select(modelColumns).from(modelDefinitions).leftJoin(secrets, eq(secrets.id, modelDefinitions.secretId)).where(eq(modelDefinitions.name, name));
    return rows[0];
  }

  async getModelDefinitions(ex: Executor, ids: string[]): Promise<ModelDefinitionRecord[]> {
    if (ids.length === 0) return [];
    return ex.select(modelColumns).from(modelDefinitions).leftJoin(secrets, eq(secrets.id, modelDefinitions.secretId)).where(inArray(modelDefinitions.id, ids));
  }

  async listModelDefinitions(ex: Executor, filter: ModelDefinitionFilter, after: string | undefined, limit: number): Promise<ModelDefinitionRecord[]> {
    return ex
      .select(modelColumns)
      .from(modelDefinitions)
      .leftJoin(secrets, eq(secrets.id, modelDefinitions.secretId))
      .where(
        and(
          filter.provider === undefined ? undefined : eq(modelDefinitions.provider, filter.provider),
          filter.secretId === undefined ? undefined : eq(modelDefinitions.secretId, filter.secretId),
          filter.viewer === undefined ? undefined : modelVisible(filter.viewer, '"model_definitions"', '"secrets"'),
          after === undefined ? undefined : gt(modelDefinitions.id, after),
        ),
      )
      .orderBy(asc(modelDefinitions.id))
      .limit(limit);
  }

  async updateModelDefinition(ex: Executor, id: string, changes: ModelDefinitionChanges): Promise<ModelDefinitionRecord> {
    const { updatedBy, ...fields } = changes;
    await ex
      .update(modelDefinitions)
      .set({ ...fields, lastUpdatedBy: updatedBy, lastUpdatedAt: new Date() })
      .where(eq(modelDefinitions.id, id));
    return (await this.getModelDefinition(ex, id))!;
  }

  async deleteModelDefinition(ex: Executor, id: string): Promise<void> {
    await ex.delete(modelDefinitions).where(eq(modelDefinitions.id, id));
  }

  /** The endpoints that use a model definition: the names of those the viewer may see (unset = all), and how many others. */
  async endpointsUsing(ex: Executor, modelDefinitionId: string, viewer: string | undefined): Promise<{ names: string[]; others: number }> {
    const rows = await ex
      .selectDistinct({ name: endpoints.name, visible: viewer === undefined ? sql<boolean>`true` : endpointVisible(viewer).mapWith(Boolean) })
      .from(endpointModelMappings)
      .innerJoin(endpoints, eq(endpoints.id, endpointModelMappings.endpointId))
      .where(eq(endpointModelMappings.modelDefinitionId, modelDefinitionId))
      .orderBy(asc(endpoints.name));
    return { names: rows.filter((r) => r.visible).map((r) => r.name), others: rows.filter((r) => !r.visible).length };
  }

  // --- endpoints

  async createEndpoint(ex: Executor, input: NewEndpoint, mappings: NewMapping[]): Promise<EndpointRecord> {
    await ex.insert(endpoints).values({ ...input, lastUpdatedBy: input.createdBy });
    await this.insertMappings(ex, input.id, mappings, input.createdBy);
    return (await this.getEndpoint(ex, input.id))!;
  }

  async getEndpoint(ex: Executor, id: string, opts: { lock?: boolean } = {}): Promise<EndpointRecord | undefined> {
    const q = ex.select().from(endpoints).where(eq(endpoints.id, id));
    const [row] = opts.lock ? await q.for("update") : await q;
    return row && (await this.withChildren(ex, [row]))[0];
  }

  async findEndpointByName(ex: Executor, name: string): Promise<EndpointRecord | undefined> {
    const [row] = await ex.select().from(endpoints).where(eq(endpoints.name, name));
    return row && (await this.withChildren(ex, [row]))[0];
  }

  /** A page of endpoints with their mappings and tags: three queries, however long the page. */
  async listEndpoints(ex: Executor, filter: EndpointFilter, after: string | undefined, limit: number): Promise<EndpointRecord[]> {
    const uses = (column: SQL) =>
      sql`exists (select 1 from endpoint_model_mappings fm join model_definitions fd on fd.model_definition_id = fm.model_definition_id where fm.endpoint_id = "endpoints"."endpoint_id" and ${column})`;
    const rows = await ex
      .select()
      .from(endpoints)
      .where(
        and(
          filter.provider === undefined ? undefined : uses(sql`fd.provider = ${filter.provider}`),
          filter.secretId === undefined ? undefined : uses(sql`fd.secret_id = ${filter.secretId}`),
          filter.viewer === undefined ? undefined : endpointVisible(filter.viewer),
          after === undefined ? undefined : gt(endpoints.id, after),
        ),
      )
      .orderBy(asc(endpoints.id))
      .limit(limit);
    return this.withChildren(ex, rows);
  }

  async updateEndpoint(ex: Executor, id: string, changes: EndpointChanges): Promise<void> {
    const { updatedBy, ...fields } = changes;
    await ex
      .update(endpoints)
      .set({ ...fields, lastUpdatedBy: updatedBy, lastUpdatedAt: new Date() })
      .where(eq(endpoints.id, id));
  }

  async replaceMappings(ex: Executor, endpointId: string, mappings: NewMapping[], by: string): Promise<void> {
    await ex.delete(endpointModelMappings).where(eq(endpointModelMappings.endpointId, endpointId));
    await this.insertMappings(ex, endpointId, mappings, by);
  }

  async addMapping(ex: Executor, endpointId: string, mapping: NewMapping, by: string): Promise<void> {
    await this.insertMappings(ex, endpointId, [mapping], by);
  }

  /** Removes the mappings of a model (of one linkage, when given); returns how many. */
  async removeMappings(ex: Executor, endpointId: string, modelDefinitionId: string, linkageType: LinkageType | undefined): Promise<number> {
    const rows = await ex
      .delete(endpointModelMappings)
      .where(
        and(
          eq(endpointModelMappings.endpointId, endpointId),
          eq(endpointModelMappings.modelDefinitionId, modelDefinitionId),
          linkageType === undefined ? undefined : eq(endpointModelMappings.linkageType, linkageType),
        ),
      )
      .returning({ id: endpointModelMappings.id });
    return rows.length;
  }

  async deleteEndpoint(ex: Executor, id: string): Promise<void> {
    await ex.delete(endpoints).where(eq(endpoints.id, id));
  }

  async setTag(ex: Executor, endpointId: string, key: string, value: string): Promise<void> {
    await ex.insert(endpointTags).values({ endpointId, key, value }).onConflictDoUpdate({ target: [endpointTags.endpointId, endpointTags.key], set: { value } });
  }

  async deleteTag(ex: Executor, endpointId: string, key: string): Promise<void> {
    await ex.delete(endpointTags).where(and(eq(endpointTags.endpointId, endpointId), eq(endpointTags.key, key)));
  }

  // --- endpoint bindings

  async createBinding(ex: Executor, input: Omit<EndpointBindingRecord, "createdAt" | "endpointName">): Promise<EndpointBindingRecord> {
    await ex.insert(endpointBindings).values(input);
    return (await this.getBinding(ex, input.id))!;
  }

  async getBinding(ex: Executor, id: string): Promise<EndpointBindingRecord | undefined> {
    return (await this.bindings(ex, eq(endpointBindings.id, id), undefined, 1))[0];
  }

  async findBinding(ex: Executor, endpointId: string, resourceType: string, resourceId: string): Promise<EndpointBindingRecord | undefined> {
    const where = and(eq(endpointBindings.endpointId, endpointId), eq(endpointBindings.resourceType, resourceType), eq(endpointBindings.resourceId, resourceId));
    return (await this.bindings(ex, where, undefined, 1))[0];
  }

  async deleteBinding(ex: Executor, id: string): Promise<void> {
    await ex.delete(endpointBindings).where(eq(endpointBindings.id, id));
  }

  async listBindings(ex: Executor, filter: EndpointBindingFilter, after: string | undefined, limit: number): Promise<EndpointBindingRecord[]> {
    const viewer = filter.viewer;
    const where = and(
      filter.endpointId === undefined ? undefined : eq(endpointBindings.endpointId, filter.endpointId),
      filter.resourceType === undefined ? undefined : eq(endpointBindings.resourceType, filter.resourceType),
      filter.resourceId === undefined ? undefined : eq(endpointBindings.resourceId, filter.resourceId),
      viewer === undefined
        ? undefined
        : sql`("endpoints"."created_by" = ${viewer}
            or exists (select 1 from resources r where r.resource_type = "endpoint_bindings"."resource_type" and r.resource_id = "endpoint_bindings"."resource_id" and r.owner = ${viewer})
            or exists (select 1 from resource_grants g where g.resource_type = "endpoint_bindings"."resource_type" and g.resource_id = "endpoint_bindings"."resource_id" and g.principal = ${viewer}))`,
    );
    return this.bindings(ex, where, after, limit);
  }

  // --- resolution

  /** Every model of every endpoint bound to the resource, or of one endpoint by name: one query either way. */
  async resolvable(ex: Executor, target: { resourceType: string; resourceId: string } | { endpointName: string }): Promise<ResolvableModel[]> {
    return "endpointName" in target ? resolvableOfEndpoint(ex, { name: target.endpointName }) : resolvableOfResource(ex, target);
  }

  private async bindings(ex: Executor, where: SQL | undefined, after: string | undefined, limit: number): Promise<EndpointBindingRecord[]> {
    return ex
      .select({
        id: endpointBindings.id,
        endpointId: endpointBindings.endpointId,
        endpointName: endpoints.name,
        resourceType: endpointBindings.resourceType,
        resourceId: endpointBindings.resourceId,
        displayName: endpointBindings.displayName,
        createdBy: endpointBindings.createdBy,
        createdAt: endpointBindings.createdAt,
      })
      .from(endpointBindings)
      .innerJoin(endpoints, eq(endpoints.id, endpointBindings.endpointId))
      .where(and(where, after === undefined ? undefined : gt(endpointBindings.id, after)))
      .orderBy(asc(endpointBindings.id))
      .limit(limit);
  }

  private async insertMappings(ex: Executor, endpointId: string, mappings: NewMapping[], by: string): Promise<void> {
    if (mappings.length > 0) await ex.insert(endpointModelMappings).values(mappings.map((m) => ({ ...m, endpointId, createdBy: by })));
  }

  /** Mappings (with their model definitions) and tags for a set of endpoints, in two queries. */
  private async withChildren(ex: Executor, rows: Array<typeof endpoints.$inferSelect>): Promise<EndpointRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [mappings, tags] = await Promise.all([
      ex
        .select({
          id: endpointModelMappings.id,
          endpointId: endpointModelMappings.endpointId,
          weight: endpointModelMappings.weight,
          linkageType: endpointModelMappings.linkageType,
          fallbackOrder: endpointModelMappings.fallbackOrder,
          createdBy: endpointModelMappings.createdBy,
          createdAt: endpointModelMappings.createdAt,
          model: modelColumns,
        })
        .from(endpointModelMappings)
        .innerJoin(modelDefinitions, eq(modelDefinitions.id, endpointModelMappings.modelDefinitionId))
        .leftJoin(secrets, eq(secrets.id, modelDefinitions.secretId))
        .where(inArray(endpointModelMappings.endpointId, ids))
        .orderBy(...mappingOrder),
      ex.select().from(endpointTags).where(inArray(endpointTags.endpointId, ids)).orderBy(asc(endpointTags.key)),
    ]);
    return rows.map((r) => ({
      ...r,
      mappings: mappings.filter((m) => m.endpointId === r.id).map(({ model, ...m }): MappingRecord => ({ ...m, modelDefinition: model })),
      tags: tags.filter((t) => t.endpointId === r.id).map(({ key, value }) => ({ key, value })),
    }));
  }
}
