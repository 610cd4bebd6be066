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
  if (rows.length === 0) {
    // First start (or a keystore whose keys exist but were never registered).
    if (source.kind === "keystore") await registerKeystoreKeys(source.dir, kekStore, true);
    else await newPassphraseVersion(source.passphrase, kekStore, 1, "active");
    rows = await kekStore.list();
  } else if (source.kind === "keystore") {
    await registerKeystoreKeys(source.dir, kekStore, false);
    rows = await kekStore.list();
  }
  const keys = [];
  for (const row of rows.filter((r) => r.state !== "retired")) keys.push({ version: row.version, key: await loadKey(source, row) });
  const active = rows.find((r) => r.state === "active");
  if (!active) throw new KeyringMismatchError("no KEK version is active in the database");
  return new Keyring(keys, active.version);
}

/**
 * Brings a running keyring in line with the database: loads versions added
 * since, switches the active one, drops retired ones. Every replica runs this
 * on a short poll, so `kek activate` reaches all of them without a restart.
 */
export async function refreshKeyring(keyring: Keyring, source: KekSource, kekStore: KekStore): Promise<{ changed: boolean }> {
  const rows = await kekStore.list();
  const loaded = new Set(keyring.versions());
  let changed = false;
  for (const row of rows) {
    if (row.state !== "retired" && !loaded.has(row.version)) {
      keyring.add(row.version, await loadKey(source, row));
      changed = true;
    }
  }
  const active = rows.find((r) => r.state === "active");
  if (active && active.version !== keyring.active().version) {
    keyring.activate(active.version);
    changed = true;
  }
  for (const row of rows) {
    if (row.state === "retired" && loaded.has(row.version)) {
      keyring.remove(row.version);
      changed = true;
    }
  }
  return { changed };
}

/** A new KEK version, inactive until activated: a new keystore file, or a new salt under the passphrase. */
export async function generateKekVersion(source: KekSource, kekStore: KekStore): Promise<number> {
  const rows = await kekStore.list();
  const version = Math.max(0, ...rows.map((r) => r.version)) + 1;
  if (source.kind === "keystore") {
    const key = await writeKeystoreKey(source.dir, version);
    await kekStore.register({ version, fingerprint: kekFingerprint(key), source: "keystore", salt: null, state: "inactive" });
  } else {
    await newPassphraseVersion(source.passphrase, kekStore, version, "inactive");
  }
  return version;
}

async function loadKey(source: KekSource, row: KekVersionRecord): Promise<Buffer> {
  let key: Buffer | undefined;
  let what: string;
  if (source.kind === "keystore") {
    if (row.source !== "keystore") {
      throw new KeyringMismatchError(`KEK version ${row.version} was derived from a passphrase: set SECRETS_KEK_PASSPHRASE or SECRETS_KEK_PASSPHRASE_FILE`);
    }
    key = (await loadKeystore(source.dir)).get(row.version);
    if (!key) throw new KeyringMismatchError(`KEK version ${row.version} is in use but kek-${row.version}.key is missing from the keystore ${source.dir}: wrong SECRETS_KEYSTORE_PATH?`);
    what = `the key in ${source.dir}/kek-${row.version}.key`;
  } else {
    if (row.source !== "passphrase" || !row.salt) {
      throw new KeyringMismatchError(`KEK version ${row.version} comes from a keystore, not a passphrase: set SECRETS_KEYSTORE_PATH instead`);
    }
    key = await derivePassphraseKey(source.passphrase, row.version, row.salt);
    what = "the configured passphrase";
  }
  if (!fingerprintMatches(key, row.fingerprint)) {
    throw new KeyringMismatchError(
      `${what} does not match KEK version ${row.version} (fingerprint ${row.fingerprint.slice(0, 12)}…): ` +
        "refusing to start with a wrong key, which could not decrypt the stored secrets",
    );
  }
  return key;
}

/** Registers keystore files the database does not know yet; on first start the newest becomes active. */
async function registerKeystoreKeys(dir: string, kekStore: KekStore, firstStart: boolean): Promise<void> {
  const files = await loadKeystore(dir);
  if (firstStart && files.size === 0) files.set(1, await writeKeystoreKey(dir, 1));
  const known = new Set((await kekStore.list()).map((r) => r.version));
  const newest = Math.max(...files.keys());
  for (const [version, key] of files) {
    if (known.has(version)) continue;
    const state = firstStart && version === newest ? "active" : "inactive";
    await kekStore.register({ version, fingerprint: kekFingerprint(key), source: "keystore", salt: null, state });
  }
}

async function newPassphraseVersion(passphrase: string, kekStore: KekStore, version: number, state: "active" | "inactive"): Promise<void> {
  const salt = randomBytes(16);
  const key = await derivePassphraseKey(passphrase, version, salt);
  await kekStore.register({ version, fingerprint: kekFingerprint(key), source: "passphrase", salt, state });
}
