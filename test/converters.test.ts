import { create, equals, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ResolvedSecretSchema, SecretSchema, SecretState } from "../gen/secrets/v1/service_pb.js";
import { resolvedToProto, secretToProto } from "../src/rpc/converters.js";
import type { SecretRecord } from "../src/store/records.js";

describe("secretToProto", () => {
  it("builds the message create() builds, with and without the optional fields", () => {
    const base: SecretRecord = {
      id: "01a20000-0000-7000-8000-000000000000", name: "n", fieldName: "KEY", isShared: false, state: "REVOKED", provider: null, model: null,
      authConfig: {}, maskedValue: "", maskedFields: { a: "x...y" }, version: 3, revision: 7, bindingCount: 0,
      createdBy: "alice", createdAt: new Date(1_700_000_000_123), lastUpdatedBy: "bob", lastUpdatedAt: new Date(1_700_000_001_456),
    };
    for (const record of [base, { ...base, state: "ACTIVE" as const, provider: "openai", model: "gpt", authConfig: { region: "eu" }, bindingCount: 2 }]) {
      const built = secretToProto(record);
      const created = create(SecretSchema, {
        secretId: record.id, secretName: record.name, fieldName: record.fieldName, isShared: record.isShared,
        state: record.state === "ACTIVE" ? SecretState.ACTIVE : SecretState.REVOKED, provider: record.provider ?? undefined, model: record.model ?? undefined,
        maskedValue: record.maskedValue, maskedFields: record.maskedFields, authConfig: record.authConfig, version: record.version, etag: `"${record.revision}"`,
        bindingCount: record.bindingCount, createdBy: record.createdBy, createdAt: BigInt(record.createdAt.getTime()), lastUpdatedBy: record.lastUpdatedBy,
        lastUpdatedAt: BigInt(record.lastUpdatedAt.getTime()),
      });
      expect(equals(SecretSchema, built, created)).toBe(true);
      expect(toJson(SecretSchema, built)).toEqual(toJson(SecretSchema, created));
    }
  });

  it("resolvedToProto builds the message create() builds, for a single value and for fields", () => {
    const base = { fieldName: "KEY", secretId: "s1", secretName: "n", provider: null, model: "m", authConfig: { region: "eu" }, version: 2 };
    for (const value of [{ value: "sk-1" }, { fields: { user: "u", password: "p" } }]) {
      const built = resolvedToProto({ ...base, value });
      const created = create(ResolvedSecretSchema, { ...base, provider: undefined, ...value });
      expect(equals(ResolvedSecretSchema, built, created)).toBe(true);
      expect(toJson(ResolvedSecretSchema, built)).toEqual(toJson(ResolvedSecretSchema, created));
    }
  });
});
