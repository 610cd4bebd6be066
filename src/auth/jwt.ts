import { createPublicKey } from "node:crypto";
import { type JWTPayload, type JWTVerifyGetKey, createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { CredentialVerifier } from "./authenticator.js";
import { AuthenticationError } from "./errors.js";
import { type Principal, ROLES, type Role } from "./principal.js";

export interface JwtOptions {
  /** A JWKS endpoint (keys fetched and cached by jose), or */
  jwksUrl?: string;
  /** a PEM public key. */
  publicKeyPem?: string;
  issuer?: string;
  audience?: string;
  /** Allowed clock difference, in seconds. */
  clockToleranceSeconds: number;
  /** The claim that lists the roles: an array, or a space-separated string. Dotted paths reach nested claims. */
  rolesClaim: string;
}

const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Verifies JWTs (signature, issuer, audience, expiry) and reads the principal from `sub` and the roles claim. */
export function createJwtVerifier(options: JwtOptions): CredentialVerifier {
  let key: JWTVerifyGetKey | ReturnType<typeof createPublicKey>;
  if (options.jwksUrl) key = createRemoteJWKSet(new URL(options.jwksUrl));
  else if (options.publicKeyPem) key = createPublicKey(options.publicKeyPem);
  else throw new Error("a JWT verifier needs a JWKS URL or a public key");
  return {
    async verify(token: string): Promise<Principal> {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
          algorithms: ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds,
          requiredClaims: ["sub", "exp"],
        }));
      } catch (err) {
        throw new AuthenticationError(describe(err));
      }
      const credential = { kind: "jwt" as const, issuer: payload.iss ?? "", expiresAt: payload.exp === undefined ? null : payload.exp * 1000 };
      return { subject: payload.sub!, roles: rolesOf(payload, options.rolesClaim), credential };
    },
  };
}

/** Why a JWT was refused, in words that never include the token. */
function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "JWT has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `JWT claim "${err.claim}" is not acceptable (${err.reason})`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return "JWT signature does not verify";
  if (err instanceof errors.JOSEAlgNotAllowed) return "JWT algorithm is not allowed";
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the JWKS matches the JWT";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "malformed JWT";
  return "JWT cannot be verified";
}

function rolesOf(payload: JWTPayload, claim: string): Role[] {
  let value: unknown = payload;
  for (const part of claim.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
  const list = Array.isArray(value) ? value : typeof value === "string" ? value.split(" ") : [];
  return list.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r));
}
