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
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
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
  const parts: Buffer[] = [];
  for (const field of [purpose, ...fields]) {
    const bytes = Buffer.from(String(field), "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  }
  return Buffer.concat(parts);
}
