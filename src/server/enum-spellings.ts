import type { DescEnum, DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";

/**
 * MLflow spells enum values bare (PRIMARY, REQUEST_BASED_TRAFFIC_SPLIT); the
 * contract keeps buf's prefixes (LINKAGE_TYPE_PRIMARY). REST accepts both
 * everywhere, and answers MLflow's routes in MLflow's spelling so that its
 * clients read them unchanged.
 */
export function acceptBareEnumNames(message: DescMessage, json: JsonObject): void {
  visitEnums(message, json, (e, v, field) => {
    if (typeof v !== "string" || e.values.some((x) => x.name === v)) return v;
    const named = e.values.find((x) => x.name === prefixOf(e) + v)?.name;
    // Left alone, protobuf-es would drop an unknown name and the call would run with the default.
    if (!named) throw new UnknownEnumValueError(`${field} must be one of ${e.values.slice(1).map((x) => x.name.slice(prefixOf(e).length)).join(", ")}`);
    return named;
  });
}

export class UnknownEnumValueError extends Error {
  override name = "UnknownEnumValueError";
}

export function bareEnumNames(message: DescMessage, json: JsonObject): void {
  visitEnums(message, json, (e, v) => (typeof v === "string" && v.startsWith(prefixOf(e)) ? v.slice(prefixOf(e).length) : v));
}

// protobuf-es keeps the shared prefix in lower case ("linkage_type_"); value names are upper case.
const prefixOf = (e: DescEnum): string => (e.sharedPrefix ?? "").toUpperCase();

function visitEnums(message: DescMessage, json: JsonObject, rewrite: (e: DescEnum, v: JsonValue, field: string) => JsonValue): void {
  for (const field of message.fields) {
    const key = field.name in json ? field.name : field.jsonName in json ? field.jsonName : undefined;
    if (key === undefined) continue;
    const value = json[key]!;
    if (field.fieldKind === "enum") json[key] = rewrite(field.enum, value, field.name);
    else if (field.fieldKind === "list" && field.listKind === "enum" && Array.isArray(value)) json[key] = value.map((v) => rewrite(field.enum, v, field.name));
    else if (field.fieldKind === "message" && isObject(value)) visitEnums(field.message, value, rewrite);
    else if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(value)) for (const v of value) if (isObject(v)) visitEnums(field.message, v, rewrite);
  }
}

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
