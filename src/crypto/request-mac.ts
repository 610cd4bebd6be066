import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { Keyring } from "./keyring.js";

/**
 * Keyed digests of create requests, to recognise a retry with the same
 * request_id. A plain hash of a request would let anyone with database access
 * brute-force a low-entropy value; this one needs the KEK.
 */
export class RequestMac {
  private readonly macKeys = new Map<number, Buffer>();

  constructor(private readonly keyring: Keyring) {}

  sign(canonical: string): { mac: string; kekVersion: number } {
    const { version } = this.keyring.active();
    return { mac: this.compute(version, canonical), kekVersion: version };
  }

  /** False also when the KEK version that signed is no longer loaded. */
  verify(canonical: string, mac: string, kekVersion: number): boolean {
    if (!this.keyring.key(kekVersion)) return false;
    const a = Buffer.from(this.compute(kekVersion, canonical), "hex");
    const b = Buffer.from(mac, "hex");
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private compute(kekVersion: number, canonical: string): string {
    let key = this.macKeys.get(kekVersion);
    if (!key) {
      key = Buffer.from(hkdfSync("sha256", this.keyring.key(kekVersion)!, Buffer.alloc(0), "secrets.v1/request-mac", 32));
      this.macKeys.set(kekVersion, key);
    }
    return createHmac("sha256", key).update(canonical).digest("hex");
  }
}
