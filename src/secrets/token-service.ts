import { v7 as uuidv7 } from "uuid";
import { type ApiTokens, type IssuedToken, PrincipalReuseError } from "../auth/api-tokens.js";
import { type Caller, type Credential, ROLES, type Role, hasRole } from "../auth/principal.js";
import type { TokenRecord } from "../store/records.js";
import type { TokenFilter, TokenStore } from "../store/token-store.js";
import type { AuditedCalls } from "./audited-calls.js";
import { ServiceError, invalid } from "./errors.js";
import { type PageRequest, readPage, toPage } from "./paging.js";
import { checkText, requireTokenName } from "./validation.js";

export interface CreateTokenInput {
  name: string;
  roles: string[];
  /** 0 with expiresAt unset: never expires. */
  ttlSeconds: number;
  /** Milliseconds since the epoch. */
  expiresAt?: number;
  description: string;
  samePrincipal: boolean;
}

const MAX_DESCRIPTION = 1000;
const MAX_LIFETIME_MS = 10 * 366 * 86_400_000;

export interface TokenServiceOptions {
  apiTokens: ApiTokens;
  store: TokenStore;
  calls: AuditedCalls;
}

const audited = (id: string, name?: string) => ({ resourceType: "API_TOKEN", resourceId: id, subject: name });

/** API tokens through the API: issued by admins, listed and revoked by their principal too. */
export class TokenService {
  private readonly apiTokens: ApiTokens;
  private readonly store: TokenStore;
  private readonly calls: AuditedCalls;

  constructor(options: TokenServiceOptions) {
    this.apiTokens = options.apiTokens;
    this.store = options.store;
    this.calls = options.calls;
  }

  async create(caller: Caller, input: CreateTokenInput): Promise<IssuedToken> {
    const id = uuidv7();
    return this.calls.change(caller, "CreateApiToken", audited(id, input.name), (inTransaction) => {
      const name = requireTokenName(input.name);
      const role = oneRole(input.roles);
      const expiresAt = lifetime(input);
      const description = input.description ? checkText("description", input.description, MAX_DESCRIPTION) : "";
      return inTransaction(async (tx) => {
        try {
          return (await this.apiTokens.issue({ id, name, role, description, expiresAt, createdBy: caller.principal.subject, samePrincipal: input.samePrincipal }, tx))!;
        } catch (err) {
          if (err instanceof PrincipalReuseError) throw new ServiceError("FAILED_PRECONDITION", `${err.message} (same_principal; secretsctl: --same-principal)`);
          throw err;
        }
      });
    });
  }

  /** Admins: every token, or one principal's. Anyone else: their own. */
  async list(caller: Caller, filter: TokenFilter, page: PageRequest): Promise<{ items: TokenRecord[]; nextPageToken: string }> {
    return this.calls.read(caller, "ListApiTokens", {}, async () => {
      const subject = caller.principal.subject;
      if (!hasRole(caller.principal, "admin") && filter.name !== undefined && filter.name !== subject) {
        throw new ServiceError("PERMISSION_DENIED", "only admins may list the tokens of another principal");
      }
      const scoped = { name: hasRole(caller.principal, "admin") ? filter.name : subject, includeInactive: filter.includeInactive === true };
      const { after, limit } = readPage(page, scoped);
      return toPage(await this.store.list(scoped, after, limit + 1), limit, scoped);
    });
  }

  /** Admins any token, anyone else their own; another's is NOT_FOUND, as a missing one. Revoking twice is not an error. */
  async revoke(caller: Caller, tokenId: string): Promise<TokenRecord> {
    const target = audited(tokenId);
    const revoked = await this.calls.change(caller, "RevokeApiToken", target, (inTransaction) =>
      inTransaction(async (tx) => {
        // Inside the transaction: on the embedded database a query outside it would wait for it forever.
        const token = tokenId ? await this.store.get(tokenId, tx) : undefined;
        if (!token || (!hasRole(caller.principal, "admin") && token.name !== caller.principal.subject)) {
          throw new ServiceError("NOT_FOUND", `token ${tokenId} does not exist`, token !== undefined);
        }
        target.subject = token.name;
        return token.revokedAt ? token : (await this.store.revokeById(token.id, tx))!;
      }),
    );
    // Once committed: a lookup that reads the row before then would put the token back in the cache.
    this.apiTokens.forget(revoked.id);
    return revoked;
  }

  async whoAmI(caller: Caller): Promise<{ subject: string; roles: readonly Role[]; credential: Credential | undefined }> {
    return this.calls.read(caller, "WhoAmI", {}, async () => ({ ...caller.principal, credential: caller.principal.credential }));
  }
}

function oneRole(roles: string[]): Role {
  if (roles.length !== 1) throw invalid(`roles must name exactly one of ${ROLES.join(", ")}; a token carries one role`);
  const role = roles[0] as Role;
  if (!ROLES.includes(role)) throw invalid(`roles must name exactly one of ${ROLES.join(", ")}`);
  return role;
}

function lifetime(input: CreateTokenInput): Date | undefined {
  if (input.ttlSeconds < 0) throw invalid("ttl_seconds must not be negative");
  if (input.ttlSeconds > 0 && input.expiresAt !== undefined) throw invalid("give ttl_seconds or expires_at, not both");
  const at = input.expiresAt ?? (input.ttlSeconds > 0 ? Date.now() + input.ttlSeconds * 1000 : undefined);
  if (at === undefined) return undefined;
  if (at <= Date.now()) throw invalid("expires_at must be in the future");
  if (at - Date.now() > MAX_LIFETIME_MS) throw invalid("a token may live at most 10 years");
  return new Date(at);
}
