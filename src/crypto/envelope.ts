import { AuthenticationFailure, NONCE_BYTES, encodeAad, openBytes, randomKey, randomNonce, sealBytes } from "./aead.js";
import type { Keyring } from "./keyring.js";

/** Which row a ciphertext belongs to; all of it is bound into the AAD. */
export interface ValueAddress {
  secretId: string;
  secretName: string;
  version: number;
}

/** What the store persists for one value version. */
export interface SealedValue {
  kekVersion: number;
  nonce: Buffer;
  ciphertext: Buffer;
  /** nonce || AES-GCM(KEK, DEK) || tag */
  wrappedDek: Buffer;
}

/**
 * A value that could not be decrypted. The message names the secret and
 * version, never the value; other secrets are unaffected.
 */
export class DecryptionError extends Error {
  constructor(
    readonly secretId: string,
    readonly version: number,
    reason: string,
  ) {
    super(`secret ${secretId} version ${version} cannot be decrypted: ${reason}`);
    this.name = "DecryptionError";
  }
}

const valueAad = (a: ValueAddress) => encodeAad("secrets.v1/value", a.secretId, a.secretName, a.version);
const dekAad = (a: ValueAddress, kekVersion: number) =>
  encodeAad("secrets.v1/dek", a.secretId, a.secretName, a.version, kekVersion);

/** Envelope encryption: a fresh DEK per value version, wrapped by the keyring's active KEK. */
export class EnvelopeCipher {
  constructor(private readonly keyring: Keyring) {}

  seal(address: ValueAddress, plaintext: Buffer): SealedValue {
    const dek = randomKey();
    try {
      const nonce = randomNonce();
      const ciphertext = sealBytes(dek, nonce, plaintext, valueAad(address));
      const { version: kekVersion, key: kek } = this.keyring.active();
      const wrappedDek = wrapDek(kek, dek, address, kekVersion);
      return { kekVersion, nonce, ciphertext, wrappedDek };
    } finally {
      dek.fill(0);
    }
  }

  open(address: ValueAddress, sealed: SealedValue): Buffer {
    const dek = this.unwrap(address, sealed);
    try {
      return openBytes(dek, sealed.nonce, sealed.ciphertext, valueAad(address));
    } catch (err) {
      throw asDecryptionError(err, address);
    } finally {
      dek.fill(0);
    }
  }

  /**
   * Re-wraps the DEK under another KEK version; the value ciphertext is not
   * touched, so the DEK is authenticated against it before it is re-wrapped.
   */
  rewrap(address: ValueAddress, sealed: SealedValue, toVersion: number): SealedValue {
    const dek = this.unwrap(address, sealed);
    try {
      openBytes(dek, sealed.nonce, sealed.ciphertext, valueAad(address)).fill(0);
      const kek = this.keyring.key(toVersion);
      if (!kek) throw new DecryptionError(address.secretId, address.version, `KEK version ${toVersion} is not loaded`);
      return { ...sealed, kekVersion: toVersion, wrappedDek: wrapDek(kek, dek, address, toVersion) };
    } catch (err) {
      throw asDecryptionError(err, address);
    } finally {
      dek.fill(0);
    }
  }

  private unwrap(address: ValueAddress, sealed: SealedValue): Buffer {
    const kek = this.keyring.key(sealed.kekVersion);
    if (!kek) {
      throw new DecryptionError(address.secretId, address.version, `KEK version ${sealed.kekVersion} is not loaded`);
    }
    try {
      const w = sealed.wrappedDek;
      return openBytes(kek, w.subarray(0, NONCE_BYTES), w.subarray(NONCE_BYTES), dekAad(address, sealed.kekVersion));
    } catch (err) {
      throw asDecryptionError(err, address);
    }
  }
}

function wrapDek(kek: Buffer, dek: Buffer, address: ValueAddress, kekVersion: number): Buffer {
  const nonce = randomNonce();
  return Buffer.concat([nonce, sealBytes(kek, nonce, dek, dekAad(address, kekVersion))]);
}

function asDecryptionError(err: unknown, address: ValueAddress): Error {
  if (err instanceof DecryptionError) return err;
  if (err instanceof AuthenticationFailure) {
    return new DecryptionError(address.secretId, address.version, "authentication failed (tampered, relocated or wrong key)");
  }
  return err instanceof Error ? err : new Error(String(err));
}
