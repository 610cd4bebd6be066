import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, getTextEncoding } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SecretSchema } from "../gen/secrets/v1/service_pb.js";
import { useNodeTextEncoding } from "../src/rpc/text-encoding.js";

describe("protobuf string encoding with Node's Buffer", () => {
  it("writes exactly the bytes TextEncoder writes, for any UTF-16 (lone surrogates included)", () => {
    const standard = new TextEncoder();
    useNodeTextEncoding();
    expect(Buffer.isBuffer(getTextEncoding().encodeUtf8("in use"))).toBe(true);
    const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 64 });
    fc.assert(
      fc.property(fc.oneof(codeUnits, fc.string({ unit: "binary" })), (text) => {
        const ours = new BinaryWriter().string(text).finish();
        const theirs = new BinaryWriter((t) => standard.encode(t)).string(text).finish();
        expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      }),
      { seed: 20261122, numRuns: 2000 },
    );
    // And whole messages round-trip through the configured encoder.
    const message = create(SecretSchema, { secretId: "é-😀-\u0000", secretName: "名前", authConfig: { région: "eu-west-1" } });
    expect(Buffer.from(toBinary(SecretSchema, message)).includes(Buffer.from("名前"))).toBe(true);
  });
});
