import { createHmac, timingSafeEqual } from "node:crypto";

export interface KekVersionKey {
  version: number;
  key: Buffer;
}

/**
 * The key-encryption keys this process holds, by version. Encryption uses the
 * active version; decryption uses whatever version a row names, so several
 * versions live side by side during a rotation.
 */
export class Keyring {
  private readonly keys = new Map<number, Buffer>();
  private activeVersion: number;

  constructor(keys: Iterable<KekVersionKey>, activeVersion: number) {
    for (const { version, key } of keys) this.keys.set(version, key);
    if (!this.keys.has(activeVersion)) throw new Error(`active KEK version ${activeVersion} is not loaded`);
    this.activeVersion = activeVersion;
  }

  active(): KekVersionKey {
    return { version: this.activeVersion, key: this.keys.get(this.activeVersion)! };
  }

  key(version: number): Buffer | undefined {
    return this.keys.get(version);
  }

  versions(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }

  add(version: number, key: Buffer): void {
    this.keys.set(version, key);
  }

  activate(version: number): void {
    if (!this.keys.has(version)) throw new Error(`KEK version ${version} is not loaded`);
    this.activeVersion = version;
  }

  /** Drops a version: rows that still name it can no longer be decrypted by this process. */
  remove(version: number): void {
    if (version === this.activeVersion) throw new Error(`KEK version ${version} is active`);
    this.keys.get(version)?.fill(0);
    this.keys.delete(version);
  }
}

/**
 * A public, non-reversible identifier of a key: HMAC-SHA256 under the key
 * itself. Storing it lets a start with the wrong key or passphrase be refused
 * before the first read fails.
 */
export function kekFingerprint(key: Buffer): string {
  return createHmac("sha256", key).update("secrets.v1/kek-fingerprint").digest("hex");
}

export function fingerprintMatches(key: Buffer, expected: string): boolean {
  const actual = Buffer.from(kekFingerprint(key), "hex");
  const want = Buffer.from(expected, "hex");
  return actual.length === want.length && timingSafeEqual(actual, want);
}
