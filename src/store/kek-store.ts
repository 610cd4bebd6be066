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

  /**
   * Retires a version: refused while it is active or any stored value is
   * still wrapped under it. The row is locked, and a trigger refuses writes
   * under a retired version, so no value can slip in meanwhile.
   */
  async retire(version: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(kekVersions).where(eq(kekVersions.version, version)).for("update");
      if (!row) return { ok: false, reason: `KEK version ${version} does not exist` };
      if (row.state === "active") return { ok: false, reason: `KEK version ${version} is active: activate another one first` };
      if (row.state === "retired") return { ok: true };
      const [used] = await tx.select({ n: count() }).from(secretVersions).where(eq(secretVersions.kekVersion, version));
      const n = Number(used?.n ?? 0);
      if (n > 0) return { ok: false, reason: `${n} stored values are still wrapped under KEK version ${version}: run secretsctl rewrap first` };
      await tx.update(kekVersions).set({ state: "retired" }).where(eq(kekVersions.version, version));
      return { ok: true };
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
