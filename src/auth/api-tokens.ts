import { createHash, randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { TokenRecord } from "../store/records.js";
import type { Db } from "../store/database.js";
import type { TokenStore } from "../store/token-store.js";
import { AuthenticationError } from "./errors.js";
import type { Principal, Role } from "./principal.js";

/** Prefix of every API token, so that secret scanners and people recognise one. */
export const TOKEN_PREFIX = "sst_";
const TOKEN_SHAPE = /^sst_[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

export const looksLikeApiToken = (credential: string): boolean => credential.startsWith(TOKEN_PREFIX);

/**
 * A token's name is its principal: a second token of that name with another
 * role would hand its holder that principal's private secrets under new
 * rights. Refused unless asked for explicitly.
 */
export class PrincipalReuseError extends Error {
  override name = "PrincipalReuseError";
  constructor(name: string, roles: readonly Role[], role: Role) {
    super(
      `principal ${name} already holds live tokens with role ${roles.join(", ")}; a ${role} token of that name would act as ${name}, with ${name}'s private secrets. ` +
        `Choose another name, or confirm that this is the same principal`,
    );
  }
}

export interface IssuedToken {
  token: string;
  record: TokenRecord;
}

export interface ApiTokensOptions {
  store: TokenStore;
  /**
   * How long a verified token is trusted without asking the database again.
   * Bounds how long a revocation takes to reach every replica. Default 5 s.
   */
  cacheTtlMs?: number;
  now?: () => number;
}

interface CacheEntry {
  principal: Principal;
  expiresAt: number | null;
  checkedAt: number;
}

const CACHE_LIMIT = 10_000;

/** Issues and verifies API tokens (256 random bits; only their SHA-256 is stored). */
export class ApiTokens {
  private readonly store: TokenStore;
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(options: ApiTokensOptions) {
    this.store = options.store;
    this.ttl = options.cacheTtlMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Issues a token; `samePrincipal` must be set to give an existing principal
   * a role it does not hold yet.
   */
  async issue(input: {
    name: string;
    role: Role;
    createdBy: string;
    expiresAt?: Date;
    description?: string;
    id?: string;
    token?: string;
    samePrincipal?: boolean;
  }, ex?: Db): Promise<IssuedToken | undefined> {
    if (!input.samePrincipal) {
      const roles = await this.store.liveRoles(input.name, ex);
      if (roles.length > 0 && !roles.includes(input.role)) throw new PrincipalReuseError(input.name, roles, input.role);
    }
    const token = input.token ?? TOKEN_PREFIX + randomBytes(32).toString("base64url");
    if (!TOKEN_SHAPE.test(token)) throw new Error(`a token must look like ${TOKEN_PREFIX} followed by 43 base64url characters`);
    const record = { id: input.id ?? uuidv7(), name: input.name, role: input.role, description: input.description ?? "", createdBy: input.createdBy, expiresAt: input.expiresAt ?? null };
    const inserted = await this.store.insert({ ...record, tokenHash: hashToken(token) }, ex);
    return inserted ? { token, record: { ...record, createdAt: new Date(this.now()), lastUsedAt: null, revokedAt: null } } : undefined;
  }

  async verify(token: string): Promise<Principal> {
    if (!TOKEN_SHAPE.test(token)) throw new AuthenticationError("malformed API token");
    const hash = hashToken(token);
    const now = this.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.checkedAt > this.ttl) {
      const record = await this.store.findByHash(hash);
      if (!record) {
        this.cache.delete(hash);
        throw new AuthenticationError("invalid API token");
      }
      if (record.revokedAt) {
        this.cache.delete(hash);
        throw new AuthenticationError("API token has been revoked");
      }
      const expiresAt = record.expiresAt?.getTime() ?? null;
      entry = { principal: { subject: record.name, roles: [record.role], credential: { kind: "api_token", id: record.id, expiresAt } }, expiresAt, checkedAt: now };
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(hash, entry);
      // Once per cache period at most, and written at most once a minute: never a write per call.
      this.store.touch(record.id).catch(() => {});
    }
    if (entry.expiresAt !== null && entry.expiresAt <= now) throw new AuthenticationError("API token has expired");
    return entry.principal;
  }

  /** Forgets a revoked token here at once; other replicas within the cache TTL. */
  forget(tokenId: string): void {
    for (const [hash, entry] of this.cache) {
      if (entry.principal.credential?.kind === "api_token" && entry.principal.credential.id === tokenId) this.cache.delete(hash);
    }
  }
}
