import { chmod, mkdtemp, readdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { randomKey } from "../src/crypto/aead.js";
import { DecryptionError, EnvelopeCipher, type SealedValue, type ValueAddress } from "../src/crypto/envelope.js";
import { KeystoreError, derivePassphraseKey, loadKeystore, writeKeystoreKey } from "../src/crypto/kek-sources.js";
import { Keyring, fingerprintMatches, kekFingerprint } from "../src/crypto/keyring.js";
import { maskFields, maskValue } from "../src/crypto/masking.js";

const address: ValueAddress = { secretId: "01a20194-0000-7000-8000-000000000001", secretName: "claude-prod", version: 1 };
const plaintext = Buffer.from(JSON.stringify({ value: "sk-ant-12345" }));

function cipherWith(...versions: number[]) {
  const keyring = new Keyring(
    versions.map((version) => ({ version, key: randomKey() })),
    versions[versions.length - 1]!,
  );
  return { keyring, cipher: new EnvelopeCipher(keyring) };
}

function flip(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  copy[index]! ^= 0x01;
  return copy;
}

describe("envelope encryption", () => {
  it("round-trips and never stores the plaintext", () => {
    const { cipher } = cipherWith(1);
    const sealed = cipher.seal(address, plaintext);
    expect(sealed.kekVersion).toBe(1);
    expect(sealed.nonce).toHaveLength(12);
    expect(sealed.wrappedDek).toHaveLength(12 + 32 + 16);
    expect(sealed.ciphertext.includes(Buffer.from("sk-ant-12345"))).toBe(false);
    expect(cipher.open(address, sealed).equals(plaintext)).toBe(true);
  });

  it("uses a fresh DEK and nonce for every seal", () => {
    const { cipher } = cipherWith(1);
    const a = cipher.seal(address, plaintext);
    const b = cipher.seal(address, plaintext);
    expect(a.nonce.equals(b.nonce)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.wrappedDek.equals(b.wrappedDek)).toBe(false);
  });

  const tamperings: Array<[string, (s: SealedValue) => SealedValue]> = [
    ["ciphertext body", (s) => ({ ...s, ciphertext: flip(s.ciphertext, 0) })],
    ["tag", (s) => ({ ...s, ciphertext: flip(s.ciphertext, s.ciphertext.length - 1) })],
    ["nonce", (s) => ({ ...s, nonce: flip(s.nonce, 5) })],
    ["wrapped DEK nonce", (s) => ({ ...s, wrappedDek: flip(s.wrappedDek, 0) })],
    ["wrapped DEK body", (s) => ({ ...s, wrappedDek: flip(s.wrappedDek, 20) })],
    ["wrapped DEK tag", (s) => ({ ...s, wrappedDek: flip(s.wrappedDek, s.wrappedDek.length - 1) })],
    ["truncated ciphertext", (s) => ({ ...s, ciphertext: s.ciphertext.subarray(0, 8) })],
  ];
  it.each(tamperings)("a bit flip in the %s fails with DATA_LOSS naming the secret, not the value", (_what, tamper) => {
    const { cipher } = cipherWith(1);
    const sealed = cipher.seal(address, plaintext);
    let error: unknown;
    try {
      cipher.open(address, tamper(sealed));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as Error).message).toContain(address.secretId);
    expect((error as Error).message).not.toContain("sk-ant");
  });

  const relocations: Array<[string, ValueAddress]> = [
    ["another secret id", { ...address, secretId: "01a20194-0000-7000-8000-000000000002" }],
    ["another secret name", { ...address, secretName: "claude-staging" }],
    ["another version", { ...address, version: 2 }],
  ];
  it.each(relocations)("a ciphertext moved to %s does not decrypt", (_what, other) => {
    const { cipher } = cipherWith(1);
    const sealed = cipher.seal(address, plaintext);
    expect(() => cipher.open(other, sealed)).toThrow(DecryptionError);
  });

  it("a wrong KEK does not decrypt", () => {
    const sealed = cipherWith(1).cipher.seal(address, plaintext);
    expect(() => cipherWith(1).cipher.open(address, sealed)).toThrow(DecryptionError);
  });

  it("a wrapped DEK relabelled with another KEK version does not decrypt", () => {
    const { keyring, cipher } = cipherWith(1, 2);
    keyring.activate(1);
    const sealed = cipher.seal(address, plaintext);
    expect(() => cipher.open(address, { ...sealed, kekVersion: 2 })).toThrow(DecryptionError);
  });

  it("decrypts with the row's own KEK version after a newer one became active", () => {
    const { keyring, cipher } = cipherWith(1, 2);
    keyring.activate(1);
    const old = cipher.seal(address, plaintext);
    keyring.activate(2);
    const fresh = cipher.seal({ ...address, version: 2 }, plaintext);
    expect(fresh.kekVersion).toBe(2);
    expect(cipher.open(address, old).equals(plaintext)).toBe(true);
    expect(cipher.open({ ...address, version: 2 }, fresh).equals(plaintext)).toBe(true);
  });

  it("refuses a row whose KEK version is not loaded, naming the version", () => {
    const { keyring, cipher } = cipherWith(1, 2);
    keyring.activate(1);
    const sealed = cipher.seal(address, plaintext);
    keyring.activate(2);
    keyring.remove(1);
    expect(() => cipher.open(address, sealed)).toThrow(/KEK version 1 is not loaded/);
  });

  it("re-wraps a DEK under another KEK version without touching the value ciphertext", () => {
    const { keyring, cipher } = cipherWith(1, 2);
    keyring.activate(1);
    const sealed = cipher.seal(address, plaintext);
    const rewrapped = cipher.rewrap(address, sealed, 2);
    expect(rewrapped.kekVersion).toBe(2);
    expect(rewrapped.ciphertext.equals(sealed.ciphertext)).toBe(true);
    expect(rewrapped.wrappedDek.equals(sealed.wrappedDek)).toBe(false);
    keyring.activate(2);
    keyring.remove(1);
    expect(cipher.open(address, rewrapped).equals(plaintext)).toBe(true);
  });
});

describe("KEK sources", () => {
  it("creates keystore files with mode 0600 and reads them back", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "ks-")), "keystore");
    const key = await writeKeystoreKey(dir, 1);
    expect((await stat(join(dir, "kek-1.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const keys = await loadKeystore(dir);
    expect(keys.get(1)?.equals(key)).toBe(true);
    await expect(writeKeystoreKey(dir, 1)).rejects.toThrow(/EEXIST/);
  });

  it("refuses a key file readable by others", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ks-"));
    await writeKeystoreKey(dir, 1);
    await chmod(join(dir, "kek-1.key"), 0o644);
    await expect(loadKeystore(dir)).rejects.toThrow(KeystoreError);
    await expect(loadKeystore(dir)).rejects.toThrow(/chmod 600/);
  });

  it("refuses a key file that does not hold 256 bits", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ks-"));
    await writeFile(join(dir, "kek-3.key"), Buffer.alloc(16).toString("base64"), { mode: 0o600 });
    await expect(loadKeystore(dir)).rejects.toThrow(/256-bit/);
    expect(await readdir(dir)).toEqual(["kek-3.key"]);
  });

  it("derives a distinct key per passphrase, version and salt", async () => {
    const salt = Buffer.alloc(16, 7);
    const a = await derivePassphraseKey("correct horse battery staple", 1, salt);
    expect(a).toHaveLength(32);
    expect((await derivePassphraseKey("correct horse battery staple", 1, salt)).equals(a)).toBe(true);
    expect((await derivePassphraseKey("correct horse battery staple", 2, salt)).equals(a)).toBe(false);
    expect((await derivePassphraseKey("correct horse battery staple", 1, Buffer.alloc(16, 8))).equals(a)).toBe(false);
    expect((await derivePassphraseKey("wrong horse battery staple", 1, salt)).equals(a)).toBe(false);
  });

  it("fingerprints identify a key without revealing it", () => {
    const key = randomKey();
    const fp = kekFingerprint(key);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fp).not.toContain(key.toString("hex"));
    expect(fingerprintMatches(key, fp)).toBe(true);
    expect(fingerprintMatches(randomKey(), fp)).toBe(false);
  });
});

describe("masking", () => {
  it.each([
    // At most a quarter of a value, never more than 7 characters: 3 at 12, 5 at 20, 7 from 28 on.
    ["sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", "sk-...6789"],
    ["sk-ant-api03-abcdef", "sk...ef"],
    ["123456789012", "1...12"],
    ["AKIAIOSFODNN7EXAMPLE", "AK...PLE"],
    ["12345678901", "***"],
    ["short", "***"],
    ["", "***"],
  ])("%s → %s", (value, masked) => {
    expect(maskValue(value)).toBe(masked);
  });

  it("masks every field of a multi-field secret", () => {
    expect(maskFields({ AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "tiny" })).toEqual({
      AWS_ACCESS_KEY_ID: "AK...PLE",
      AWS_SECRET_ACCESS_KEY: "***",
    });
  });
});
