import { and, asc, eq, isNull } from "drizzle-orm";
import { lockForTransaction } from "./advisory-locks.js";
import type { Db } from "./database.js";
import type { TokenRecord } from "./records.js";
import { apiTokens } from "./schema.js";

const columns = {
  id: apiTokens.id,
  name: apiTokens.name,
  role: apiTokens.role,
  createdBy: apiTokens.createdBy,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  revokedAt: apiTokens.revokedAt,
};

/** API token metadata, looked up by the token's hash. */
export class TokenStore {
  constructor(private readonly db: Db) {}

  /** Inserts unless the id exists; true when this call inserted it. */
  async insert(record: Omit<TokenRecord, "createdAt" | "revokedAt"> & { tokenHash: string }): Promise<boolean> {
    const rows = await this.db.insert(apiTokens).values(record).onConflictDoNothing().returning({ id: apiTokens.id });
    return rows.length > 0;
  }

  async findByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const rows = await this.db.select(columns).from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
    return rows[0];
  }

  async list(): Promise<TokenRecord[]> {
    return this.db.select(columns).from(apiTokens).orderBy(asc(apiTokens.id));
  }

  /**
   * Runs fn in one transaction that holds the bootstrap lock: replicas
   * starting together on an empty database take turns, and each sees what
   * the one before it committed.
   */
  async bootstrapTransaction<T>(fn: (store: TokenStore) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const ex = tx as unknown as Db;
      await lockForTransaction(ex, "bootstrapToken");
      return fn(new TokenStore(ex));
    });
  }

  async hasAny(): Promise<boolean> {
    return (await this.db.select({ id: apiTokens.id }).from(apiTokens).limit(1)).length > 0;
  }

  /** Revokes a token by id or by name (all live tokens of that name); returns how many. */
  async revoke(idOrName: string): Promise<number> {
    const now = new Date();
    const byId = await this.db
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(eq(apiTokens.id, idOrName), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    if (byId.length > 0) return byId.length;
    const byName = await this.db
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(eq(apiTokens.name, idOrName), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    return byName.length;
  }
}
