import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** AES-256-GCM with a 96-bit random nonce and a 128-bit tag. */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Thrown when a ciphertext does not authenticate: tampered, relocated or under the wrong key. */
export class AuthenticationFailure extends Error {
  constructor() {
    super("ciphertext failed authentication");
    this.name = "AuthenticationFailure";
  }
}

/** Encrypts under a fresh nonce; returns ciphertext || tag. */
export function sealBytes(key: Buffer, nonce: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Inverse of sealBytes; any failure is an AuthenticationFailure, never a partial plaintext. */
export function openBytes(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (key.length !== KEY_BYTES || nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) {
    throw new AuthenticationFailure();
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    // GCM is a stream mode: final() only checks the tag and yields nothing more.
    decipher.final();
    return plaintext;
  } catch {
    throw new AuthenticationFailure();
  }
}

export function randomNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/**
 * Length-prefixed encoding of the AAD fields, so that no two different field
 * lists (e.g. name "a|b" vs names "a", "b") can produce the same bytes.
 */
export function encodeAad(purpose: string, ...fields: Array<string | number>): Buffer {
  const texts = [purpose, ...fields].map(String);
  let size = 0;
  for (const t of texts) size += 4 + Buffer.byteLength(t, "utf8");
  // Built in one allocation: this runs twice for every value a resolve opens.
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const t of texts) {
    const n = out.write(t, at + 4, "utf8");
    out.writeUInt32BE(n, at);
    at += 4 + n;
  }
  return out;
}
