import { asc, count, eq } from "drizzle-orm";
import type { Db } from "./database.js";
import type { KekVersionRecord } from "./records.js";
import { kekVersions, secretVersions } from "./schema.js";

/** KEK version metadata: fingerprints and states, never keys. */
export class KekStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<KekVersionRecord[]> {
    return this.db.select().from(kekVersions).orderBy(asc(kekVersions.version));
  }

  /** Registers a version unless another replica did first; returns what is stored. */
  async register(record: Omit<KekVersionRecord, "createdAt" | "activatedAt">): Promise<KekVersionRecord> {
    await this.db
      .insert(kekVersions)
      .values({ ...record, activatedAt: record.state === "active" ? new Date() : null })
      .onConflictDoNothing();
    const [row] = await this.db.select().from(kekVersions).where(eq(kekVersions.version, record.version));
    return row!;
  }

  /** Makes one version active and every other non-retired one inactive, atomically. */
  async activate(version: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.update(kekVersions).set({ state: "inactive" }).where(eq(kekVersions.state, "active"));
      await tx.update(kekVersions).set({ state: "active", activatedAt: new Date() }).where(eq(kekVersions.version, version));
    });
  }

  /** How many stored value versions each KEK version protects. */
  async valueCounts(): Promise<Map<number, number>> {
    const rows = await this.db
      .select({ version: secretVersions.kekVersion, n: count() })
      .from(secretVersions)
      .groupBy(secretVersions.kekVersion);
    return new Map(rows.map((r) => [r.version, Number(r.n)]));
  }
}
