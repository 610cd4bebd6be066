import { type SQL, and, asc, count, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { modelDefinitions } from "./gateway-schema.js";
import { providerKeys } from "./provider-schema.js";
import { secrets } from "./schema.js";
import type { Executor } from "./secrets-store.js";

export interface ProviderKeyRecord {
  id: string;
  provider: string;
  /** "" for the shared key. */
  principal: string;
  isShared: boolean;
  secretId: string;
  secretName: string;
  maskedValue: string;
  maskedFields: Record<string, string>;
  setBy: string;
  setAt: Date;
}

/** Whose key: a principal's own, or the provider's shared one. */
export type KeyOwner = { principal: string } | { shared: true };

const columns = {
  id: providerKeys.id,
  provider: providerKeys.provider,
  principal: providerKeys.principal,
  isShared: providerKeys.isShared,
  secretId: providerKeys.secretId,
  secretName: secrets.name,
  maskedValue: secrets.maskedValue,
  maskedFields: secrets.maskedFields,
  setBy: providerKeys.setBy,
  setAt: providerKeys.setAt,
};

const ownedBy = (owner: KeyOwner): SQL => ("shared" in owner ? eq(providerKeys.isShared, true) : and(eq(providerKeys.isShared, false), eq(providerKeys.principal, owner.principal))!);

/** Provider keys: which secret is a principal's (or everyone's) key for a provider. */
export class ProviderKeyStore {
  /** Sets the key, replacing the one it had. */
  async put(ex: Executor, input: { id: string; provider: string; owner: KeyOwner; secretId: string; setBy: string }): Promise<ProviderKeyRecord> {
    const shared = "shared" in input.owner;
    const row = { id: input.id, provider: input.provider, principal: shared ? "" : (input.owner as { principal: string }).principal, isShared: shared, secretId: input.secretId, setBy: input.setBy };
    await ex
      .insert(providerKeys)
      .values(row)
      .onConflictDoUpdate({
        target: shared ? [providerKeys.provider] : [providerKeys.principal, providerKeys.provider],
        targetWhere: shared ? sql`${providerKeys.isShared}` : sql`NOT ${providerKeys.isShared}`,
        set: { secretId: input.secretId, setBy: input.setBy, setAt: new Date() },
      });
    return (await this.get(ex, input.provider, input.owner))!;
  }

  async get(ex: Executor, provider: string, owner: KeyOwner): Promise<ProviderKeyRecord | undefined> {
    const [row] = await ex.select(columns).from(providerKeys).innerJoin(secrets, eq(secrets.id, providerKeys.secretId)).where(and(eq(providerKeys.provider, provider), ownedBy(owner)));
    return row;
  }

  /** A principal's keys and the shared ones; with no principal, every key. */
  async list(ex: Executor, principal: string | undefined): Promise<ProviderKeyRecord[]> {
    return ex
      .select(columns)
      .from(providerKeys)
      .innerJoin(secrets, eq(secrets.id, providerKeys.secretId))
      .where(principal === undefined ? undefined : or(eq(providerKeys.isShared, true), eq(providerKeys.principal, principal)))
      .orderBy(asc(providerKeys.provider), asc(providerKeys.isShared), asc(providerKeys.principal));
  }

  async delete(ex: Executor, provider: string, owner: KeyOwner): Promise<boolean> {
    const rows = await ex.delete(providerKeys).where(and(eq(providerKeys.provider, provider), ownedBy(owner))).returning({ id: providerKeys.id });
    return rows.length > 0;
  }

  /** The keys a resolution may fall back to, for these providers and principals, in one query. */
  async candidates(ex: Executor, providers: string[], principals: string[]): Promise<Array<Pick<ProviderKeyRecord, "provider" | "principal" | "isShared" | "secretId">>> {
    if (providers.length === 0) return [];
    return ex
      .select({ provider: providerKeys.provider, principal: providerKeys.principal, isShared: providerKeys.isShared, secretId: providerKeys.secretId })
      .from(providerKeys)
      .where(and(inArray(providerKeys.provider, providers), principals.length === 0 ? eq(providerKeys.isShared, true) : or(eq(providerKeys.isShared, true), inArray(providerKeys.principal, principals))));
  }

  /** A principal's model definitions that have no secret of their own, by provider: the ones that rely on provider keys. */
  async keylessModels(ex: Executor, principal: string): Promise<Array<{ provider: string; n: number }>> {
    const rows = await ex
      .select({ provider: modelDefinitions.provider, n: count() })
      .from(modelDefinitions)
      .where(and(eq(modelDefinitions.createdBy, principal), isNull(modelDefinitions.secretId)))
      .groupBy(modelDefinitions.provider);
    return rows.map((r) => ({ provider: r.provider, n: Number(r.n) }));
  }
}
