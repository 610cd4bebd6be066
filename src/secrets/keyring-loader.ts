import { randomBytes } from "node:crypto";
import { derivePassphraseKey, loadKeystore, writeKeystoreKey } from "../crypto/kek-sources.js";
import { Keyring, fingerprintMatches, kekFingerprint } from "../crypto/keyring.js";
import type { KekStore } from "../store/kek-store.js";
import type { KekVersionRecord } from "../store/records.js";

export type KekSource = { kind: "keystore"; dir: string } | { kind: "passphrase"; passphrase: string };

/** The configured key material does not match what the database was encrypted with; the service must not start. */
export class KeyringMismatchError extends Error {
  override name = "KeyringMismatchError";
}

/**
 * Loads every usable KEK version and checks each against the fingerprint the
 * database stores for it, so that a wrong key or passphrase stops the process
 * at start instead of failing the first read. On first start it creates
 * version 1. Retired versions are never loaded.
 */
export async function openKeyring(source: KekSource, kekStore: KekStore): Promise<Keyring> {
  let rows = await kekStore.list();
  const keys = new Map<number, Buffer>();
  if (source.kind === "keystore") {
    const files = await loadKeystore(source.dir);
    if (rows.length === 0 && files.size === 0) {
      files.set(1, await writeKeystoreKey(source.dir, 1));
    }
    for (const [version, key] of files) {
      if (!rows.some((r) => r.version === version)) {
        const state = rows.length === 0 && version === Math.max(...files.keys()) ? "active" : "inactive";
        await kekStore.register({ version, fingerprint: kekFingerprint(key), source: "keystore", salt: null, state });
      }
    }
    rows = await kekStore.list();
    for (const row of usable(rows)) {
      const key = files.get(row.version);
      if (row.source !== "keystore") {
        throw new KeyringMismatchError(`KEK version ${row.version} was derived from a passphrase: set SECRETS_KEK_PASSPHRASE or SECRETS_KEK_PASSPHRASE_FILE`);
      }
      if (!key) {
        throw new KeyringMismatchError(`KEK version ${row.version} is in use but kek-${row.version}.key is missing from the keystore ${source.dir}: wrong SECRETS_KEYSTORE_PATH?`);
      }
      checkFingerprint(row, key, `the key in ${source.dir}/kek-${row.version}.key`);
      keys.set(row.version, key);
    }
  } else {
    if (rows.length === 0) {
      const salt = randomBytes(16);
      const key = await derivePassphraseKey(source.passphrase, 1, salt);
      await kekStore.register({ version: 1, fingerprint: kekFingerprint(key), source: "passphrase", salt, state: "active" });
      rows = await kekStore.list();
    }
    for (const row of usable(rows)) {
      if (row.source !== "passphrase" || !row.salt) {
        throw new KeyringMismatchError(`KEK version ${row.version} comes from a keystore, not a passphrase: set SECRETS_KEYSTORE_PATH instead`);
      }
      const key = await derivePassphraseKey(source.passphrase, row.version, row.salt);
      checkFingerprint(row, key, "the configured passphrase");
      keys.set(row.version, key);
    }
  }
  const active = rows.find((r) => r.state === "active");
  if (!active) throw new KeyringMismatchError("no KEK version is active in the database");
  return new Keyring(
    [...keys].map(([version, key]) => ({ version, key })),
    active.version,
  );
}

function usable(rows: KekVersionRecord[]): KekVersionRecord[] {
  return rows.filter((r) => r.state !== "retired");
}

function checkFingerprint(row: KekVersionRecord, key: Buffer, what: string): void {
  if (!fingerprintMatches(key, row.fingerprint)) {
    throw new KeyringMismatchError(
      `${what} does not match KEK version ${row.version} (fingerprint ${row.fingerprint.slice(0, 12)}…): ` +
        "refusing to start with a wrong key, which could not decrypt the stored secrets",
    );
  }
}
