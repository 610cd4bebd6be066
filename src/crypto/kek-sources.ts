import { createHash, pbkdf2, randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { KEY_BYTES, randomKey } from "./aead.js";

export const PBKDF2_ITERATIONS = 600_000;
const KEY_FILE = /^kek-(\d+)\.key$/;

/** A keystore file or directory that is unusable; the message says how to fix it. */
export class KeystoreError extends Error {
  override name = "KeystoreError";
}

/**
 * Reads every `kek-<version>.key` file (base64 of 32 random bytes) of a
 * keystore directory. Files readable by group or others are refused, as ssh
 * refuses such private keys.
 */
export async function loadKeystore(dir: string): Promise<Map<number, Buffer>> {
  const keys = new Map<number, Buffer>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return keys;
    throw err;
  }
  for (const name of names) {
    const m = KEY_FILE.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      throw new KeystoreError(`${path} is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
    }
    const key = Buffer.from((await readFile(path, "utf8")).trim(), "base64");
    if (key.length !== KEY_BYTES) throw new KeystoreError(`${path} does not hold a 256-bit key`);
    keys.set(Number(m[1]), key);
  }
  return keys;
}

/** Writes a new random key as the given version; refuses to overwrite one. */
export async function writeKeystoreKey(dir: string, version: number): Promise<Buffer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const key = randomKey();
  const file = await open(keystoreKeyPath(dir, version), "wx", 0o600);
  try {
    await file.writeFile(`${key.toString("base64")}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  return key;
}

export const keystoreKeyPath = (dir: string, version: number): string => join(dir, `kek-${version}.key`);

/**
 * Overwrites a key file with random bytes, syncs it, and removes it; false
 * when there was no such file. On copy-on-write or journaling filesystems
 * and SSDs the old blocks may survive the overwrite, and copies (backups,
 * snapshots) are untouched: this removes the key from this directory, no more.
 */
export async function destroyKeystoreKey(dir: string, version: number): Promise<boolean> {
  const path = keystoreKeyPath(dir, version);
  let file;
  try {
    file = await open(path, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  try {
    const { size } = await file.stat();
    await file.write(randomBytes(size), 0, size, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await unlink(path);
  const parent = await open(dir, "r");
  try {
    // The removal itself is durable only once the directory is synced.
    await parent.sync();
  } finally {
    await parent.close();
  }
  return true;
}

/**
 * PBKDF2-HMAC-SHA256 with 600,000 iterations. The salt mixes the version in
 * with a random per-installation salt, so each version has its own key even
 * under the same passphrase. Costs ~180 ms: called once per version per process.
 */
export async function derivePassphraseKey(passphrase: string, version: number, installSalt: Buffer): Promise<Buffer> {
  const salt = createHash("sha256").update("secrets.v1/kek-salt").update(String(version)).update(installSalt).digest();
  return promisify(pbkdf2)(passphrase, salt, PBKDF2_ITERATIONS, KEY_BYTES, "sha256");
}
