/** Authentication failed; the message says why (missing, malformed, expired, revoked…) and never echoes the credential. */
export class AuthenticationError extends Error {
  override name = "AuthenticationError";
}
