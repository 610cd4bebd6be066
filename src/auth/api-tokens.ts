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
  /** After this a call starts a check in the background: half the TTL after the last check, a quarter after a try that failed. */
  recheckAfter: number;
}

const CACHE_LIMIT = 10_000;

/** Issues and verifies API tokens (256 random bits; only their SHA-256 is stored). */
export class ApiTokens {
  private readonly store: TokenStore;
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  /**
   * Tokens the database did not know or knew as revoked: a flood of bad
   * tokens is refused without a query per call, and checked again once per TTL.
   */
  private readonly refused = new Map<string, { error: AuthenticationError; checkedAt: number }>();
  private readonly lookups = new Map<string, Promise<Principal>>();
  /** Bumped by forget(): a lookup that began before it does not put what it read in the cache. */
  private forgets = 0;

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

  /**
   * What is known without a new query: the token's principal from the cache,
   * or the lookup of it already under way; undefined when only a query can
   * tell. Throws for a token known to be bad.
   */
  cached(token: string): Principal | Promise<Principal> | undefined {
    const hash = this.hashOf(token);
    return this.fromCache(hash, this.now()) ?? this.lookups.get(hash);
  }

  async verify(token: string): Promise<Principal> {
    const hash = this.hashOf(token);
    const now = this.now();
    return this.fromCache(hash, now) ?? this.lookup(hash, now);
  }

  /** One query per token at a time: the calls that need it (a token not cached, or past its TTL) share it. */
  private lookup(hash: string, now: number): Promise<Principal> {
    let pending = this.lookups.get(hash);
    if (!pending) {
      pending = this.fromStore(hash, now).finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, pending);
    }
    return pending;
  }

  private hashOf(token: string): string {
    if (!TOKEN_SHAPE.test(token)) throw new AuthenticationError("malformed API token");
    return hashToken(token);
  }

  private fromCache(hash: string, now: number): Principal | undefined {
    const entry = this.cache.get(hash);
    if (!entry || now - entry.checkedAt > this.ttl) {
      const refused = this.refused.get(hash);
      if (!refused) return undefined;
      // Past the TTL a refused token is checked again in the background and refused meanwhile: were its calls to wait
      // for that query, a flood of it would hold every place in flight while the query ran (and shed everyone else),
      // once per TTL. A token issued since is accepted once the check is back.
      if (now - refused.checkedAt > this.ttl) this.recheck(hash, now);
      // The same error each time: it names no caller, and a flood of the token builds none.
      throw refused.error;
    }
    const principal = this.unexpired(entry, now);
    // A token in use is checked again once half its TTL has passed, in the background, and trusted meanwhile as
    // before: while the database answers within the other half, its calls never find it past the TTL and wait for
    // the query (under a flood of the token they would hold places in flight while it ran, and shed everyone else);
    // a revocation still takes effect within the TTL from the start of the last check that found the token good.
    if (now > entry.recheckAfter) {
      entry.recheckAfter = now + this.ttl / 4;
      this.recheck(hash, now);
    }
    return principal;
  }

  private recheck(hash: string, now: number): void {
    if (!this.lookups.has(hash)) this.lookup(hash, now).catch(() => {});
  }

  private async fromStore(hash: string, now: number): Promise<Principal> {
    const forgets = this.forgets;
    const record = await this.store.findByHash(hash);
    if (!record || record.revokedAt) {
      const error = new AuthenticationError(record ? "API token has been revoked" : "invalid API token");
      this.cache.delete(hash);
      if (this.refused.size >= CACHE_LIMIT) this.refused.clear();
      this.refused.set(hash, { error, checkedAt: now });
      throw error;
    }
    this.refused.delete(hash);
    const expiresAt = record.expiresAt?.getTime() ?? null;
    const entry = { principal: { subject: record.name, roles: [record.role], credential: { kind: "api_token" as const, id: record.id, expiresAt } }, expiresAt, checkedAt: now, recheckAfter: now + this.ttl / 2 };
    if (forgets === this.forgets) {
      // The oldest entry makes room, not the whole cache: every busy token's next call would need a query.
      if (!this.cache.has(hash) && this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, entry);
    }
    // Twice per TTL at most for a token in use, and written at most once a minute: never a write per call.
    this.store.touch(record.id).catch(() => {});
    return this.unexpired(entry, now);
  }

  /** Forgets a revoked token here at once; other replicas within the cache TTL. */
  forget(tokenId: string): void {
    this.forgets++;
    for (const [hash, entry] of this.cache) {
      if (entry.principal.credential?.kind === "api_token" && entry.principal.credential.id === tokenId) this.cache.delete(hash);
    }
  }

  private unexpired(entry: CacheEntry, now: number): Principal {
    if (entry.expiresAt !== null && entry.expiresAt <= now) throw new AuthenticationError("API token has expired");
    return entry.principal;
  }
}
