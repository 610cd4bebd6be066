import { type DescFile, type DescService, createRegistry, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1, type ServerReflectionRequest } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

// grpc.StatusCode values carried inside reflection error responses.
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

type Answer = ServerReflectionResponseInit["messageResponse"];
type ServerReflectionResponseInit = {
  validHost: string;
  originalRequest: ServerReflectionRequest;
  messageResponse:
    | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
    | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
    | { case: "listServicesResponse"; value: { service: Array<{ name: string }> } }
    | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };
};

/**
 * Answers reflection queries from the descriptors compiled into gen/: the
 * mounted services, and every file with its transitive imports, so that
 * `buf curl` and grpcurl need no local schema.
 */
export class ReflectionIndex {
  private readonly registry;
  private readonly files = new Map<string, DescFile>();
  private readonly serviceNames: string[];

  constructor(mounted: readonly DescService[]) {
    this.serviceNames = mounted.map((s) => s.typeName);
    const visit = (f: DescFile) => {
      if (this.files.has(f.proto.name)) return;
      this.files.set(f.proto.name, f);
      f.dependencies.forEach(visit);
    };
    mounted.forEach((s) => visit(s.file));
    this.registry = createRegistry(...this.files.values());
  }

  answer(req: ServerReflectionRequest): Answer {
    const r = req.messageRequest;
    switch (r.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } };
      case "fileByFilename":
        return this.fileResponse(this.files.get(r.value), `file ${r.value} not found`);
      case "fileContainingSymbol":
        return this.fileResponse(this.fileOfSymbol(r.value), `symbol ${r.value} not found`);
      case "fileContainingExtension": {
        const message = this.registry.getMessage(r.value.containingType);
        const ext = message && this.registry.getExtensionFor(message, r.value.extensionNumber);
        return this.fileResponse(ext?.file, `extension ${r.value.extensionNumber} of ${r.value.containingType} not found`);
      }
      case "allExtensionNumbersOfType": {
        const message = this.registry.getMessage(r.value);
        if (!message) return error(NOT_FOUND, `type ${r.value} not found`);
        const numbers: number[] = [];
        for (const f of this.files.values()) {
          for (const ext of allExtensions(f)) if (ext.extendee.typeName === r.value) numbers.push(ext.number);
        }
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: numbers } };
      }
      default:
        return error(INVALID_ARGUMENT, "unknown reflection request");
    }
  }

  /** A symbol: a service, method, message, field, enum, enum value or extension, by full name. */
  private fileOfSymbol(symbol: string): DescFile | undefined {
    const direct = this.registry.get(symbol);
    if (direct) return direct.kind === "service" || direct.kind === "message" || direct.kind === "enum" || direct.kind === "extension" ? direct.file : undefined;
    const dot = symbol.lastIndexOf(".");
    if (dot < 0) return undefined;
    const parent = this.registry.get(symbol.slice(0, dot));
    const member = symbol.slice(dot + 1);
    switch (parent?.kind) {
      case "service":
        return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
      case "message":
        return parent.fields.some((f) => f.name === member) || parent.oneofs.some((o) => o.name === member) ? parent.file : undefined;
      case "enum":
        return parent.values.some((v) => v.name === member) ? parent.file : undefined;
      default:
        return undefined;
    }
  }

  private fileResponse(file: DescFile | undefined, notFound: string): Answer {
    if (!file) return error(NOT_FOUND, notFound);
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const add = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      f.dependencies.forEach(add);
    };
    add(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  }
}

function* allExtensions(file: DescFile) {
  yield* file.extensions;
  const walk = function* (messages: DescFile["messages"]): Generator<DescFile["extensions"][number]> {
    for (const m of messages) {
      yield* m.nestedExtensions;
      yield* walk(m.nestedMessages);
    }
  };
  yield* walk(file.messages);
}

function error(errorCode: number, errorMessage: string): Answer {
  return { case: "errorResponse", value: { errorCode, errorMessage } };
}

/** grpc.reflection.v1 and the older v1alpha (still what many tools ask first): one index, the same wire shape. */
export function reflectionV1Handlers(index: ReflectionIndex): ServiceImpl<typeof ReflectionV1> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield { validHost: req.host, originalRequest: req, messageResponse: index.answer(req) };
    },
  };
}

export function reflectionV1alphaHandlers(index: ReflectionIndex): ServiceImpl<typeof ReflectionV1alpha> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        // The v1alpha messages are field-for-field the v1 ones; only their type names differ.
        const answer = index.answer(req as unknown as ServerReflectionRequest);
        yield { validHost: req.host, originalRequest: req, messageResponse: answer } as never;
      }
    },
  };
}
