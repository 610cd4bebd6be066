import { type SQL, and, asc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { lockForTransaction } from "./advisory-locks.js";
import type { Db } from "./database.js";
import type { TokenRecord } from "./records.js";
import { apiTokens } from "./schema.js";

const columns = {
  id: apiTokens.id,
  name: apiTokens.name,
  role: apiTokens.role,
  description: apiTokens.description,
  createdBy: apiTokens.createdBy,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

export interface TokenFilter {
  name?: string;
  /** Also revoked and expired tokens. */
  includeInactive?: boolean;
}

const live = (): SQL => and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date())))!;

/** How stale last_used_at may get: a token used all day is written once a minute, not once a call. */
const LAST_USED_RESOLUTION = "1 minute";

/** API token metadata, looked up by the token's hash. */
export class TokenStore {
  constructor(private readonly db: Db) {}

  /** Inserts unless the id exists; true when this call inserted it. */
  async insert(record: Omit<TokenRecord, "createdAt" | "revokedAt" | "lastUsedAt"> & { tokenHash: string }, ex: Db = this.db): Promise<boolean> {
    const rows = await ex.insert(apiTokens).values(record).onConflictDoNothing().returning({ id: apiTokens.id });
    return rows.length > 0;
  }

  async findByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const rows = await this.db.select(columns).from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
    return rows[0];
  }

  async list(filter: TokenFilter = { includeInactive: true }, after?: string, limit?: number): Promise<TokenRecord[]> {
    const q = this.db
      .select(columns)
      .from(apiTokens)
      .where(
        and(
          filter.name === undefined ? undefined : eq(apiTokens.name, filter.name),
          filter.includeInactive ? undefined : live(),
          after === undefined ? undefined : gt(apiTokens.id, after),
        ),
      )
      .orderBy(asc(apiTokens.id));
    return limit === undefined ? q : q.limit(limit);
  }

  async get(id: string, ex: Db = this.db): Promise<TokenRecord | undefined> {
    const rows = await ex.select(columns).from(apiTokens).where(eq(apiTokens.id, id));
    return rows[0];
  }

  /** Records a use, unless one was recorded within the last minute (then nothing is written). */
  async touch(id: string): Promise<void> {
    await this.db
      .update(apiTokens)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - ${LAST_USED_RESOLUTION}::interval`))));
  }

  /** The roles of a principal's tokens that are neither revoked nor expired. */
  async liveRoles(name: string, ex: Db = this.db): Promise<Array<TokenRecord["role"]>> {
    const rows = await ex
      .selectDistinct({ role: apiTokens.role })
      .from(apiTokens)
      .where(and(eq(apiTokens.name, name), live()))
      .orderBy(asc(apiTokens.role));
    return rows.map((r) => r.role);
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

  /** Revokes one token; returns it as revoked, or undefined when there is no such live token. */
  async revokeById(id: string, ex: Db = this.db): Promise<TokenRecord | undefined> {
    const rows = await ex
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning(columns);
    return rows[0];
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
