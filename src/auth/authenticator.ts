import type { ApiTokens } from "./api-tokens.js";
import { looksLikeApiToken } from "./api-tokens.js";
import { AuthenticationError } from "./errors.js";
import type { Principal } from "./principal.js";

/** Verifies a bearer credential that is not an API token (e.g. a JWT). */
export interface CredentialVerifier {
  verify(credential: string): Promise<Principal>;
}

export interface AuthenticatorOptions {
  apiTokens: ApiTokens;
  jwt?: CredentialVerifier;
}

/** Turns an `authorization` header into a principal, or says precisely why not. */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  async authenticate(authorization: string | null): Promise<Principal> {
    const credential = this.credentialOf(authorization);
    if (looksLikeApiToken(credential)) return this.options.apiTokens.verify(credential);
    // credentialOf lets any other credential through only when a JWT verifier is configured.
    return this.options.jwt!.verify(credential);
  }

  /**
   * What can be decided without new work: throws for a missing, malformed or
   * known-bad credential; returns the principal of a cached API token, or the
   * lookup of it already under way; else says what authenticate() would have
   * to do: query the database (an API token the cache does not know) or
   * verify a signature (a JWT).
   */
  cached(authorization: string | null): Principal | Promise<Principal> | "query" | "verify" {
    const credential = this.credentialOf(authorization);
    if (!looksLikeApiToken(credential)) return "verify";
    return this.options.apiTokens.cached(credential) ?? "query";
  }

  /** The bearer credential of a well-formed header, of a kind this service verifies. */
  private credentialOf(authorization: string | null): string {
    if (!authorization) throw new AuthenticationError("missing credentials: send the header authorization: Bearer <token>");
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new AuthenticationError("malformed authorization header: expected Bearer <token>");
    const credential = m[1]!;
    if (!looksLikeApiToken(credential) && !this.options.jwt) throw new AuthenticationError("malformed bearer token: expected an API token (sst_…)");
    return credential;
  }
}
