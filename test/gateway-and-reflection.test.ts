import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ExtensionRequestSchema, ServerReflectionRequestSchema } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { ReflectionIndex } from "../src/rpc/reflection-handlers.js";
import { queryToJson } from "../src/server/rest-gateway.js";
import { compileTemplate, restRoutes } from "../src/server/rest-routes.js";

describe("REST routes from google.api.http", () => {
  it("compiles templates with single- and multi-segment variables", () => {
    const { pattern, variables } = compileTemplate("/v1/{name=projects/*/secrets/*}/versions/{version}:access");
    expect(variables).toEqual([["name"], ["version"]]);
    expect(pattern.exec("/v1/projects/p1/secrets/s1/versions/3:access")?.slice(1)).toEqual(["projects/p1/secrets/s1", "3"]);
    expect(pattern.test("/v1/projects/p1/versions/3:access")).toBe(false);
    const deep = compileTemplate("/files/{path=**}");
    expect(deep.pattern.exec("/files/a/b/c.txt")?.[1]).toBe("a/b/c.txt");
  });

  it("adds the /ajax-api and /api/3.0 aliases and the additional bindings", () => {
    const routes = restRoutes([SecretsService]).map((r) => `${r.verb} ${r.template} ${r.method.name}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        "GET /api/2.0/mlflow/secrets/get GetSecret",
        "GET /api/3.0/mlflow/secrets/get GetSecret",
        "GET /ajax-api/2.0/mlflow/secrets/get GetSecret",
        "GET /ajax-api/3.0/mlflow/secrets/get GetSecret",
        "PATCH /api/2.0/mlflow/secrets/update UpdateSecret",
        "POST /api/3.0/mlflow/secrets/update UpdateSecret",
        "POST /ajax-api/3.0/mlflow/secrets/update UpdateSecret",
        "POST /api/3.0/mlflow/secrets/create-and-bind CreateAndBindSecret",
        "POST /ajax-api/3.0/mlflow/secrets/create-and-bind CreateAndBindSecret",
      ]),
    );
    expect(new Set(routes).size).toBe(routes.length);
  });

  it("maps query parameters to nested and repeated fields by proto or JSON name", () => {
    expect(queryToJson(FieldMaskSchema, new URLSearchParams("paths=a&paths=b.c"))).toEqual({ paths: ["a", "b.c"] });
    expect(queryToJson(ServerReflectionRequestSchema, new URLSearchParams("host=h&file_containing_extension.containing_type=x.Y&fileContainingExtension.extension_number=7&nope=1"))).toEqual({
      host: "h",
      file_containing_extension: { containing_type: "x.Y", extension_number: "7" },
    });
    expect(() => queryToJson(ExtensionRequestSchema, new URLSearchParams("containing_type.x=1"))).toThrow(/containing_type has no field x/);
  });
});

describe("reflection index", () => {
  const index = new ReflectionIndex([SecretsService, Health]);
  const ask = (messageRequest: object) => index.answer(create(ServerReflectionRequestSchema, { messageRequest } as never));
  const fileCount = (answer: ReturnType<typeof ask>) => {
    if (answer.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${answer.case}`);
    return answer.value.fileDescriptorProto.length;
  };

  it.each([
    ["service", "secrets.v1.SecretsService"],
    ["method", "secrets.v1.SecretsService.ResolveResourceSecrets"],
    ["message", "secrets.v1.Secret"],
    ["field", "secrets.v1.Secret.masked_value"],
    ["enum", "secrets.v1.SecretState"],
    ["enum value", "secrets.v1.SecretState.SECRET_STATE_REVOKED"],
  ])("finds the file of a %s with its transitive imports", (_kind, symbol) => {
    // service.proto, providers.proto (its ProviderCheck), google/api/annotations.proto, google/api/http.proto, google/protobuf/descriptor.proto
    expect(fileCount(ask({ case: "fileContainingSymbol", value: symbol }))).toBe(5);
  });

  it("answers unknown symbols and files with NOT_FOUND", () => {
    for (const req of [
      { case: "fileContainingSymbol", value: "secrets.v1.Nope" },
      { case: "fileContainingSymbol", value: "secrets.v1.Secret.nope" },
      { case: "fileByFilename", value: "nope.proto" },
    ]) {
      expect(ask(req)).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
    }
  });

  it("lists services, serves files by name and finds the google.api.http extension", () => {
    expect(ask({ case: "listServices", value: "" })).toMatchObject({ case: "listServicesResponse", value: { service: [{ name: "secrets.v1.SecretsService" }, { name: "grpc.health.v1.Health" }] } });
    expect(fileCount(ask({ case: "fileByFilename", value: "grpc/health/v1/health.proto" }))).toBe(1);
    expect(ask({ case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" })).toMatchObject({ value: { extensionNumber: [72295728] } });
    expect(fileCount(ask({ case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 72295728 } }))).toBe(3);
  });
});
