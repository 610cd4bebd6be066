import { Column, type SQL, and, asc, count, eq, gt, inArray, is, lte, ne, or, sql } from "drizzle-orm";
import { PgTimestamp } from "drizzle-orm/pg-core";
import { DecryptionError, type EnvelopeCipher, type SealedValue } from "../crypto/envelope.js";
import type { Db } from "./database.js";
import { type Preparable, preparedQuery, preparedShapes } from "./prepared.js";
import type { BindingRecord, CurrentValue, IdempotencyRecord, ResolvedRecord, SecretRecord, VersionRecord } from "./records.js";
import { idempotencyKeys, secretBindings, secretVersions, secrets } from "./schema.js";

const placeholder = sql.placeholder;

/** The position of one stored value version, for walking them all in order. */
export interface ValueKey {
  secretId: string;
  version: number;
}

export interface BatchResult {
  scanned: number;
  done: number;
  /** Ids and reasons only, never values. */
  failed: Array<{ secretId: string; version: number; reason: string }>;
  /** Where the next batch starts; undefined when this one was empty. */
  last: ValueKey | undefined;
}

// Qualified by hand: drizzle leaves columns unqualified inside sql``, and secrets has a secret_id too.
const afterKey = (k: ValueKey): SQL => sql`("secret_versions"."secret_id", "secret_versions"."version") > (${k.secretId}, ${k.version})`;
const last = (rows: Array<{ address: ValueKey }>): ValueKey | undefined => {
  const a = rows[rows.length - 1]?.address;
  return a && { secretId: a.secretId, version: a.version };
};

/** A database handle or an open transaction: every query runs on the one it is given. */
export type Executor = Db;

export type NewSecret = Pick<
  SecretRecord,
  "id" | "name" | "fieldName" | "isShared" | "provider" | "model" | "authConfig" | "maskedValue" | "maskedFields" | "createdBy"
>;

export interface NewValue {
  /** Plaintext; sealed here, so that only the store and crypto ever see ciphertext. */
  payload: Buffer;
  maskedValue: string;
  maskedFields: Record<string, string>;
}

export interface SecretChanges {
  provider?: string | null;
  model?: string | null;
  authConfig?: Record<string, string>;
  state?: "REVOKED";
  value?: NewValue;
  updatedBy: string;
}

export interface SecretFilter {
  isShared?: boolean;
  provider?: string;
  /** Only shared secrets and this principal's private ones; unset = all (admins). */
  visibleTo?: string;
}

export interface BindingFilter {
  resourceType?: string;
  resourceId?: string;
  secretId?: string;
  /** Only bindings on resources this principal owns or was granted, of its own secrets, and on GLOBAL; unset = all. */
  viewer?: string;
}

export type NewBinding = Omit<BindingRecord, "createdAt">;

// Written out: drizzle renders columns unqualified inside sql``, which would make the correlation ambiguous.
const bindingCount = sql<number>`(select count(*)::int from secret_bindings b where b.secret_id = "secrets"."secret_id")`.as("binding_count");

const secretColumns = {
  id: secrets.id,
  name: secrets.name,
  fieldName: secrets.fieldName,
  isShared: secrets.isShared,
  state: secrets.state,
  provider: secrets.provider,
  model: secrets.model,
  authConfig: secrets.authConfig,
  maskedValue: secrets.maskedValue,
  maskedFields: secrets.maskedFields,
  version: secrets.currentVersion,
  revision: secrets.revision,
  bindingCount,
  createdBy: secrets.createdBy,
  createdAt: secrets.createdAt,
  lastUpdatedBy: secrets.lastUpdatedBy,
  lastUpdatedAt: secrets.lastUpdatedAt,
};

const secretById = preparedQuery<{ id: string }, SecretRecord[]>("secret_by_id", (ex) =>
  ex.select(secretColumns).from(secrets).where(eq(secrets.id, placeholder("id"))),
);
const secretByIdForUpdate = preparedQuery<{ id: string }, SecretRecord[]>("secret_by_id_for_update", (ex) =>
  ex.select(secretColumns).from(secrets).where(eq(secrets.id, placeholder("id"))).for("update"),
);

/**
 * A page of secrets comes back as one json array of arrays, each row's
 * values in secretColumns' order with times as epoch milliseconds: one value
 * for the driver to parse, rather than a dozen columns a row each decoded by
 * drizzle (its per-column mapping was most of a 100-secret ListSecrets page's
 * cost), with the binding counts counted for the page's rows only.
 */
const pageFields = Object.entries(secretColumns).map(([key, field]) => ({ key, time: is(field, PgTimestamp) }));
const pageRow = sql.join(
  Object.values(secretColumns).map((field) => (is(field, PgTimestamp) ? sql`floor(extract(epoch from ${field}) * 1000)::int8` : is(field, Column) ? sql`${field}` : field.getSQL())),
  sql`, `,
);

function pageRowToRecord(values: unknown[]): SecretRecord {
  const record: Record<string, unknown> = {};
  for (let i = 0; i < pageFields.length; i++) {
    const { key, time } = pageFields[i]!;
    record[key] = time ? new Date(values[i] as number) : values[i];
  }
  return record as unknown as SecretRecord;
}

type PageParams = { isShared?: boolean; provider?: string; viewer?: string; after?: string; limit: number };

/** One prepared query per combination of the filters a page sets ("1010": shared and viewer): a WHERE of optional terms would defeat the keyset index. */
const secretsPage = preparedShapes<string, PageParams, Array<{ page: unknown[][] }>>("secrets_page", (ex, shape) => {
  const [shared, provider, viewer, after] = [...shape].map((bit) => bit === "1");
  const where = and(
    shared ? eq(secrets.isShared, placeholder("isShared")) : undefined,
    provider ? eq(secrets.provider, placeholder("provider")) : undefined,
    // Shared secrets and the viewer's own private ones.
    viewer ? or(eq(secrets.isShared, true), eq(secrets.createdBy, placeholder("viewer"))) : undefined,
    after ? gt(secrets.id, placeholder("after")) : undefined,
  );
  return ex
    .select({ page: sql<unknown[][]>`coalesce(json_agg(json_build_array(${pageRow}) order by ${secrets.id}), '[]'::json)` })
    .from(sql`(select * from ${secrets} ${where ? sql`where ${where}` : sql``} order by ${secrets.id} limit ${placeholder("limit")}) as ${secrets}`);
});

type SealedRow = Omit<ResolvedRecord, "payload"> & SealedValue;

/** Every binding of a resource (or the one for a field) with its secret's current value version, sealed. */
const boundValues = (withField: boolean) =>
  preparedQuery<{ resourceType: string; resourceId: string; fieldName?: string }, SealedRow[]>(withField ? "bound_value" : "bound_values", (ex) =>
    ex
      .select({
        fieldName: secretBindings.fieldName,
        secretId: secrets.id,
        secretName: secrets.name,
        state: secrets.state,
        provider: secrets.provider,
        model: secrets.model,
        authConfig: secrets.authConfig,
        version: secretVersions.version,
        kekVersion: secretVersions.kekVersion,
        nonce: secretVersions.nonce,
        ciphertext: secretVersions.ciphertext,
        wrappedDek: secretVersions.wrappedDek,
      })
      .from(secretBindings)
      .innerJoin(secrets, eq(secrets.id, secretBindings.secretId))
      .innerJoin(secretVersions, and(eq(secretVersions.secretId, secrets.id), eq(secretVersions.version, secrets.currentVersion)))
      .where(
        and(
          eq(secretBindings.resourceType, placeholder("resourceType")),
          eq(secretBindings.resourceId, placeholder("resourceId")),
          withField ? eq(secretBindings.fieldName, placeholder("fieldName")) : undefined,
        ),
      )
      .orderBy(asc(secretBindings.fieldName)),
  );
const boundValuesOfResource = boundValues(false);
const boundValueOfField = boundValues(true);

/** A value version's row, its values given as placeholders: `version` and `createdBy` name the ones the statement fills them from. */
const versionRow = (version: ReturnType<typeof placeholder> | number, createdBy: string) => ({
  secretId: placeholder("id"),
  version,
  kekVersion: placeholder("kekVersion"),
  nonce: placeholder("nonce"),
  ciphertext: placeholder("ciphertext"),
  wrappedDek: placeholder("wrappedDek"),
  createdBy: placeholder(createdBy),
  createdAt: placeholder("now"),
});

/** A new secret and its first version, and for "bound" its binding: one statement of CTEs. */
const insertSecretRows = preparedShapes<"bound" | "unbound", Record<string, unknown>, unknown>("insert_secret", (ex, shape) => {
  const secret = ex.$with("inserted_secret").as(
    ex
      .insert(secrets)
      .values({
        id: placeholder("id"),
        name: placeholder("name"),
        fieldName: placeholder("fieldName"),
        isShared: placeholder("isShared"),
        state: "ACTIVE",
        provider: placeholder("provider"),
        model: placeholder("model"),
        authConfig: placeholder("authConfig"),
        maskedValue: placeholder("maskedValue"),
        maskedFields: placeholder("maskedFields"),
        currentVersion: 1,
        storedBytes: placeholder("storedBytes"),
        revision: 1,
        createdBy: placeholder("createdBy"),
        createdAt: placeholder("now"),
        lastUpdatedBy: placeholder("createdBy"),
        lastUpdatedAt: placeholder("now"),
      })
      .returning({ id: secrets.id }),
  );
  const version = versionRow(1, "createdBy");
  if (shape === "unbound") return ex.with(secret).insert(secretVersions).values(version);
  const versioned = ex.$with("inserted_version").as(ex.insert(secretVersions).values(version).returning({ version: secretVersions.version }));
  return ex.with(secret, versioned).insert(secretBindings).values({
    id: placeholder("bindingId"),
    secretId: placeholder("id"),
    resourceType: placeholder("resourceType"),
    resourceId: placeholder("resourceId"),
    fieldName: placeholder("bindingField"),
    createdBy: placeholder("createdBy"),
    createdAt: placeholder("now"),
  });
});

/** The update of a secret for each shape of change (the columns it sets, in a fixed order: "value", "provider,model", …); a new value also inserts its version and prunes the oldest, as CTEs of the same statement. */
const updateSecretRow = preparedShapes<string, Record<string, unknown>, SecretRecord[]>("update_secret", (ex, shape) => {
  const sets = new Set(shape.split(","));
  const value = sets.has("value");
  const writes = value
    ? [
        ex.$with("added_version").as(
          ex.insert(secretVersions).values(versionRow(placeholder("version"), "updatedBy")).returning({ version: secretVersions.version }),
        ),
        ex.$with("pruned_versions").as(
          ex
            .delete(secretVersions)
            .where(and(eq(secretVersions.secretId, placeholder("id")), lte(secretVersions.version, placeholder("oldest"))))
            .returning({ bytes: sql<number>`octet_length(${secretVersions.ciphertext})`.as("bytes") }),
        ),
      ]
    : [];
  // Placeholders, which drizzle encodes as the columns they fill (its types only admit values).
  const set: Record<string, unknown> = {
    ...(sets.has("provider") && { provider: placeholder("provider") }),
    ...(sets.has("model") && { model: placeholder("model") }),
    ...(sets.has("authConfig") && { authConfig: placeholder("authConfig") }),
    ...(sets.has("state") && { state: placeholder("state") }),
    ...(value && {
      maskedValue: placeholder("maskedValue"),
      maskedFields: placeholder("maskedFields"),
      currentVersion: placeholder("version"),
      storedBytes: sql`${secrets.storedBytes} + ${placeholder("addedBytes")} - (select coalesce(sum(bytes), 0) from pruned_versions)::int`,
    }),
    revision: sql`${secrets.revision} + 1`,
    lastUpdatedBy: placeholder("updatedBy"),
    lastUpdatedAt: placeholder("now"),
  };
  return ex
    .with(...writes)
    .update(secrets)
    .set(set as Partial<typeof secrets.$inferInsert>)
    .where(eq(secrets.id, placeholder("id")))
    .returning(secretColumns) as unknown as Preparable<SecretRecord[]>;
});

// Written out: drizzle renders columns unqualified inside sql``, which would make the correlation ambiguous.
function bindingVisible(viewer: string | undefined): SQL | undefined {
  if (viewer === undefined) return undefined;
  return sql`("secrets"."created_by" = ${viewer} or "secret_bindings"."resource_type" = 'GLOBAL'
    or exists (select 1 from resources r where r.resource_type = "secret_bindings"."resource_type" and r.resource_id = "secret_bindings"."resource_id" and r.owner = ${viewer})
    or exists (select 1 from resource_grants g where g.resource_type = "secret_bindings"."resource_type" and g.resource_id = "secret_bindings"."resource_id" and g.principal = ${viewer}))`;
}

/**
 * Secrets, their value versions and bindings. The only module that sees
 * ciphertext: values come in and go out as plaintext and are sealed and
 * opened here with the cipher it is given.
 */
export class SecretsStore {
  constructor(
    readonly db: Db,
    private readonly cipher: EnvelopeCipher,
    /** How many value versions to keep per secret. */
    private readonly retention = 10,
  ) {}

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(tx as unknown as Executor));
  }

  /**
   * The secret, its first value version and, when given, its binding, in one
   * statement: every column of the new rows is known here, so nothing is read
   * back (a unique violation still names its constraint).
   */
  async createSecret(ex: Executor, input: NewSecret, payload: Buffer, binding?: Omit<NewBinding, "secretId">): Promise<{ secret: SecretRecord; binding?: BindingRecord }> {
    const now = new Date();
    const secret: SecretRecord = {
      ...input,
      state: "ACTIVE",
      version: 1,
      revision: 1,
      bindingCount: binding ? 1 : 0,
      createdAt: now,
      lastUpdatedBy: input.createdBy,
      lastUpdatedAt: now,
    };
    const sealed = this.cipher.seal({ secretId: input.id, secretName: input.name, version: 1 }, payload);
    const bound: BindingRecord | undefined = binding && { ...binding, secretId: input.id, createdAt: now };
    await insertSecretRows(ex, bound ? "bound" : "unbound", {
      ...input,
      now,
      ...sealed,
      storedBytes: sealed.ciphertext.length,
      ...(bound && { bindingId: bound.id, resourceType: bound.resourceType, resourceId: bound.resourceId, bindingField: bound.fieldName }),
    });
    return bound ? { secret, binding: bound } : { secret };
  }

  async getSecret(ex: Executor, id: string, opts: { lock?: boolean } = {}): Promise<SecretRecord | undefined> {
    const rows = await (opts.lock ? secretByIdForUpdate : secretById)(ex, { id });
    return rows[0];
  }

  async findSecretByName(ex: Executor, name: string, scope: { isShared: true } | { isShared: false; owner: string }): Promise<SecretRecord | undefined> {
    const where = scope.isShared
      ? and(eq(secrets.name, name), eq(secrets.isShared, true))
      : and(eq(secrets.name, name), eq(secrets.isShared, false), eq(secrets.createdBy, scope.owner));
    const rows = await ex.select(secretColumns).from(secrets).where(where);
    return rows[0] as SecretRecord | undefined;
  }

  /** Private secrets of that name, whoever owns them (for admins' lookups by name). */
  async privateSecretsNamed(ex: Executor, name: string, limit: number): Promise<SecretRecord[]> {
    const rows = await ex
      .select(secretColumns)
      .from(secrets)
      .where(and(eq(secrets.name, name), eq(secrets.isShared, false)))
      .orderBy(asc(secrets.createdBy))
      .limit(limit);
    return rows as SecretRecord[];
  }

  /** Keyset page ordered by id (time-ordered UUIDv7): rows inserted meanwhile never shift a page. */
  async listSecrets(ex: Executor, filter: SecretFilter, after: string | undefined, limit: number): Promise<SecretRecord[]> {
    const shape = [filter.isShared, filter.provider, filter.visibleTo, after].map((term) => (term === undefined ? "0" : "1")).join("");
    const [row] = await secretsPage(ex, shape, { isShared: filter.isShared, provider: filter.provider, viewer: filter.visibleTo, after, limit });
    return row!.page.map(pageRowToRecord);
  }

  /**
   * Applies changes to `locked`, read FOR UPDATE in the transaction `tx`, so
   * that no one else can have changed or deleted it since: the statement
   * always finds its row, and the version it adds, the ones it prunes and
   * the total of stored bytes always go together. A new value becomes the
   * next version, and versions beyond the retention are dropped, in the same
   * statement.
   */
  async updateLockedSecret(tx: Executor, locked: SecretRecord, changes: SecretChanges): Promise<SecretRecord> {
    const version = changes.value ? locked.version + 1 : locked.version;
    const now = new Date();
    const shape = (["provider", "model", "authConfig", "state", "value"] as const).filter((k) => changes[k] !== undefined).join(",");
    const sealed = changes.value && this.cipher.seal({ secretId: locked.id, secretName: locked.name, version }, changes.value.payload);
    const [updated] = await updateSecretRow(tx, shape, {
      id: locked.id,
      provider: changes.provider,
      model: changes.model,
      authConfig: changes.authConfig,
      state: changes.state,
      maskedValue: changes.value?.maskedValue,
      maskedFields: changes.value?.maskedFields,
      version,
      oldest: version - this.retention,
      updatedBy: changes.updatedBy,
      now,
      ...(sealed && { ...sealed, addedBytes: sealed.ciphertext.length }),
    });
    return updated!;
  }

  async deleteSecret(ex: Executor, id: string): Promise<boolean> {
    const rows = await ex.delete(secrets).where(eq(secrets.id, id)).returning({ id: secrets.id });
    return rows.length > 0;
  }

  /** Stored versions of a secret's value, newest first: who wrote each, when, under which KEK (never the value). */
  async listVersions(ex: Executor, secretId: string): Promise<VersionRecord[]> {
    return ex
      .select({ version: secretVersions.version, createdBy: secretVersions.createdBy, createdAt: secretVersions.createdAt, kekVersion: secretVersions.kekVersion })
      .from(secretVersions)
      .where(eq(secretVersions.secretId, secretId))
      .orderBy(sql`${secretVersions.version} desc`);
  }

  /**
   * How many secrets a principal created (shared and private), and the
   * stored bytes of every retained value version of them: the ciphertext,
   * which is the encoded value plus its 16-byte tag (versions beyond the
   * retention are gone and no longer count).
   * Summed over the secrets' own totals (kept by createSecret and
   * updateLockedSecret), so it reads one row per secret, not one per version.
   */
  async usageOf(ex: Executor, owner: string): Promise<{ secrets: number; bytes: number }> {
    const [row] = await ex
      .select({ secrets: count(), bytes: sql<string>`coalesce(sum(${secrets.storedBytes}), 0)` })
      .from(secrets)
      .where(eq(secrets.createdBy, owner));
    return { secrets: Number(row?.secrets ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  async createBinding(ex: Executor, input: NewBinding): Promise<BindingRecord> {
    const [row] = await ex.insert(secretBindings).values({ ...input, createdAt: new Date() }).returning();
    return row!;
  }

  async getBinding(ex: Executor, id: string): Promise<BindingRecord | undefined> {
    const rows = await ex.select().from(secretBindings).where(eq(secretBindings.id, id));
    return rows[0];
  }

  async findBinding(ex: Executor, resourceType: string, resourceId: string, fieldName: string): Promise<BindingRecord | undefined> {
    const rows = await ex
      .select()
      .from(secretBindings)
      .where(
        and(eq(secretBindings.resourceType, resourceType), eq(secretBindings.resourceId, resourceId), eq(secretBindings.fieldName, fieldName)),
      );
    return rows[0];
  }

  async deleteBinding(ex: Executor, id: string): Promise<boolean> {
    const rows = await ex.delete(secretBindings).where(eq(secretBindings.id, id)).returning({ id: secretBindings.id });
    return rows.length > 0;
  }

  async countBindings(ex: Executor, secretId: string): Promise<number> {
    const [row] = await ex.select({ n: count() }).from(secretBindings).where(eq(secretBindings.secretId, secretId));
    return Number(row?.n ?? 0);
  }

  async listBindings(ex: Executor, filter: BindingFilter, after: string | undefined, limit: number): Promise<BindingRecord[]> {
    const where = and(
      filter.resourceType === undefined ? undefined : eq(secretBindings.resourceType, filter.resourceType),
      filter.resourceId === undefined ? undefined : eq(secretBindings.resourceId, filter.resourceId),
      filter.secretId === undefined ? undefined : eq(secretBindings.secretId, filter.secretId),
      bindingVisible(filter.viewer),
      after === undefined ? undefined : gt(secretBindings.id, after),
    );
    const rows = await ex
      .select({
        id: secretBindings.id,
        secretId: secretBindings.secretId,
        resourceType: secretBindings.resourceType,
        resourceId: secretBindings.resourceId,
        fieldName: secretBindings.fieldName,
        createdBy: secretBindings.createdBy,
        createdAt: secretBindings.createdAt,
      })
      .from(secretBindings)
      .innerJoin(secrets, eq(secrets.id, secretBindings.secretId))
      .where(where)
      .orderBy(asc(secretBindings.id))
      .limit(limit);
    return rows;
  }

  /**
   * Every binding of a resource with its secret's current value, in one round
   * trip; values are opened in memory. Revoked secrets are returned without
   * being decrypted so that the caller can refuse them.
   */
  async resolveResource(ex: Executor, resourceType: string, resourceId: string, fieldName?: string): Promise<ResolvedRecord[]> {
    const rows =
      fieldName === undefined
        ? await boundValuesOfResource(ex, { resourceType, resourceId })
        : await boundValueOfField(ex, { resourceType, resourceId, fieldName });
    // A row is both the value's address and its sealed form.
    return rows.map((r) => ({
      fieldName: r.fieldName,
      secretId: r.secretId,
      secretName: r.secretName,
      state: r.state,
      provider: r.provider,
      model: r.model,
      authConfig: r.authConfig,
      version: r.version,
      payload: r.state === "ACTIVE" ? this.cipher.open(r, r) : Buffer.alloc(0),
    }));
  }

  /**
   * The current value of each of these secrets, in one query whatever their
   * number, opened in memory. A revoked secret is not decrypted; one that
   * fails to decrypt is reported, not thrown, so that the others still open.
   */
  async openCurrent(ex: Executor, ids: readonly string[]): Promise<Map<string, CurrentValue>> {
    const out = new Map<string, CurrentValue>();
    if (ids.length === 0) return out;
    const rows = await ex
      .select({
        secretId: secrets.id,
        secretName: secrets.name,
        state: secrets.state,
        authConfig: secrets.authConfig,
        version: secretVersions.version,
        kekVersion: secretVersions.kekVersion,
        nonce: secretVersions.nonce,
        ciphertext: secretVersions.ciphertext,
        wrappedDek: secretVersions.wrappedDek,
      })
      .from(secrets)
      .innerJoin(secretVersions, and(eq(secretVersions.secretId, secrets.id), eq(secretVersions.version, secrets.currentVersion)))
      .where(inArray(secrets.id, [...ids]));
    for (const r of rows) {
      const current = { secretId: r.secretId, secretName: r.secretName, state: r.state, authConfig: r.authConfig, version: r.version };
      if (r.state !== "ACTIVE") {
        out.set(r.secretId, { ...current, payload: undefined });
        continue;
      }
      try {
        out.set(r.secretId, { ...current, payload: this.cipher.open(r, r) });
      } catch (err) {
        if (!(err instanceof DecryptionError)) throw err;
        out.set(r.secretId, { ...current, payload: undefined, undecryptable: true });
      }
    }
    return out;
  }

  async findRequest(ex: Executor, principal: string, requestId: string): Promise<IdempotencyRecord | undefined> {
    const rows = await ex
      .select({
        requestMac: idempotencyKeys.requestMac,
        kekVersion: idempotencyKeys.kekVersion,
        secretId: idempotencyKeys.secretId,
        bindingId: idempotencyKeys.bindingId,
      })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.requestId, requestId)));
    return rows[0];
  }

  async recordRequest(ex: Executor, principal: string, requestId: string, record: IdempotencyRecord): Promise<void> {
    await ex.insert(idempotencyKeys).values({ principal, requestId, ...record });
  }

  /**
   * Re-wraps the DEKs of up to `limit` stored values that are not yet under
   * KEK `toVersion`, walking (secret_id, version) from `after`. Each batch is
   * one short transaction whose rows are locked (SKIP LOCKED: a value being
   * written right now is left for the next run), so it runs beside live
   * traffic, and a crash leaves every row either old or new, never half.
   */
  async rewrapBatch(toVersion: number, after: ValueKey | undefined, limit: number): Promise<BatchResult> {
    return this.transaction(async (tx) => {
      const rows = await this.sealedRows(tx, and(ne(secretVersions.kekVersion, toVersion), after && afterKey(after)), limit, true);
      const result: BatchResult = { scanned: rows.length, done: 0, failed: [], last: last(rows) };
      for (const row of rows) {
        try {
          const { kekVersion, wrappedDek } = this.cipher.rewrap(row.address, row.sealed, toVersion);
          await tx
            .update(secretVersions)
            .set({ kekVersion, wrappedDek })
            .where(and(eq(secretVersions.secretId, row.address.secretId), eq(secretVersions.version, row.address.version)));
          result.done++;
        } catch (err) {
          result.failed.push({ secretId: row.address.secretId, version: row.address.version, reason: (err as Error).message });
        }
      }
      return result;
    });
  }

  /** Opens up to `limit` stored values from `after` on; counts them per KEK version and names those that fail. */
  async verifyBatch(after: ValueKey | undefined, limit: number): Promise<BatchResult & { byKek: Map<number, number> }> {
    const rows = await this.sealedRows(this.db, after && afterKey(after), limit, false);
    const result = { scanned: rows.length, done: 0, failed: [] as BatchResult["failed"], last: last(rows), byKek: new Map<number, number>() };
    for (const row of rows) {
      try {
        this.cipher.open(row.address, row.sealed).fill(0);
        result.done++;
        result.byKek.set(row.sealed.kekVersion, (result.byKek.get(row.sealed.kekVersion) ?? 0) + 1);
      } catch (err) {
        result.failed.push({ secretId: row.address.secretId, version: row.address.version, reason: (err as Error).message });
      }
    }
    return result;
  }

  private async sealedRows(ex: Executor, where: SQL | undefined, limit: number, lock: boolean) {
    const q = ex
      .select({
        secretId: secretVersions.secretId,
        secretName: secrets.name,
        version: secretVersions.version,
        kekVersion: secretVersions.kekVersion,
        nonce: secretVersions.nonce,
        ciphertext: secretVersions.ciphertext,
        wrappedDek: secretVersions.wrappedDek,
      })
      .from(secretVersions)
      .innerJoin(secrets, eq(secrets.id, secretVersions.secretId))
      .where(where)
      .orderBy(asc(secretVersions.secretId), asc(secretVersions.version))
      .limit(limit);
    const rows = lock ? await q.for("update", { of: secretVersions, skipLocked: true }) : await q;
    return rows.map(({ secretId, secretName, version, ...sealed }) => ({ address: { secretId, secretName, version }, sealed }));
  }
}
