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
    if (!authorization) throw new AuthenticationError("missing credentials: send the header authorization: Bearer <token>");
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new AuthenticationError("malformed authorization header: expected Bearer <token>");
    const credential = m[1]!;
    if (looksLikeApiToken(credential)) return this.options.apiTokens.verify(credential);
    if (this.options.jwt) return this.options.jwt.verify(credential);
    throw new AuthenticationError("malformed bearer token: expected an API token (sst_…)");
  }
}
