import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";

/**
 * protobuf-es encodes every string field with TextEncoder.encode, which
 * allocates a fresh ArrayBuffer per string: in a profile of a 100-secret
 * ListSecrets page it was the largest single cost (~10 % of the server's
 * time, plus the garbage it leaves). Node's Buffer.from produces the same
 * bytes (lone surrogates become U+FFFD in both) from a pooled slab, about
 * three times faster. Decoding keeps protobuf-es's own validating decoder.
 * Called once at start-up, before any message is written.
 */
export function useNodeTextEncoding(): void {
  const standard = getTextEncoding();
  configureTextEncoding({
    encodeUtf8: (text) => Buffer.from(text, "utf8"),
    decodeUtf8: standard.decodeUtf8,
    checkUtf8: standard.checkUtf8,
  });
}
