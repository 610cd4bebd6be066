import { checkApiBase } from "./api-base.js";
import { invalid } from "./errors.js";

/** Limits of the contract; a message names the field and the limit, never the value. */
export const LIMITS = {
  secretName: 256,
  provider: 64,
  model: 256,
  resourceId: 255,
  fieldName: 256,
  /** Serialized value payload, in bytes. */
  valueBytes: 64 * 1024,
  fields: 64,
  authConfigEntries: 64,
  authConfigKey: 128,
  authConfigValue: 4096,
  requestId: 128,
  principal: 256,
} as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESOURCE_TYPE = /^[A-Z][A-Z0-9_]{0,49}$/;
// Control characters and unpaired surrogates have no business in names and would corrupt logs.
const UNPRINTABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// auth_config is stored in clear: keys that name a credential almost always mean a misplaced secret.
const CREDENTIAL_KEY = /(secret|passw|token|api[_-]?key|private[_-]?key|credential)/i;

export function requireText(field: string, value: string | undefined, max: number): string {
  if (value === undefined || value.length === 0) throw invalid(`${field} is required`);
  return checkText(field, value, max);
}

export function checkText(field: string, value: string, max: number): string {
  if (value.length > max) throw invalid(`${field} is longer than ${max} characters`);
  if (UNPRINTABLE.test(value)) throw invalid(`${field} contains control characters or invalid UTF-16`);
  if (value.trim() !== value) throw invalid(`${field} has leading or trailing white space`);
  return value;
}

/**
 * Characters that show as nothing or as something else (zero-width, text
 * direction), stand for bytes that were not UTF-8 (U+FFFD), or are not
 * characters at all. In a name that people pick by sight, such as a shared
 * secret's, each lets one thing pass for another.
 */
const DECEPTIVE: Array<[RegExp, string]> = [
  [/\p{Cc}/u, "a control character"],
  [/\p{Cf}/u, "an invisible formatting character (zero-width or text-direction)"],
  [/\p{Cs}/u, "an unpaired surrogate (not valid UTF-16)"],
  [/\p{Co}/u, "a private-use character"],
  [/[\p{Zl}\p{Zp}]/u, "a line or paragraph separator"],
  [/\uFFFD/u, "the replacement character (the text was not valid UTF-8)"],
];
const ANY_DECEPTIVE = new RegExp(DECEPTIVE.map(([p]) => p.source).join("|"), "u");

/**
 * A name or id a user chooses (secret, resource, principal...): printable,
 * without look-alike tricks, and in Unicode NFC so that one name has one
 * spelling. The refusal names the character and its position, never echoes
 * the rest.
 */
export function requireName(field: string, value: string | undefined, max: number): string {
  if (value === undefined || value.length === 0) throw invalid(`${field} is required`);
  const found = ANY_DECEPTIVE.exec(value);
  if (found) {
    const what = DECEPTIVE.find(([pattern]) => pattern.test(found[0]))![1];
    const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    // Counted in characters, as a person counts, not in UTF-16 units.
    const position = Array.from(value.slice(0, found.index)).length + 1;
    throw invalid(`${field} contains ${what}, U+${code}, at position ${position}`);
  }
  return checkText(field, value.normalize("NFC"), max);
}

export function requireFieldName(field: string, value: string | undefined): string {
  const v = requireName(field, value, LIMITS.fieldName);
  if (!ENV_NAME.test(v)) throw invalid(`${field} must be an environment variable name (letters, digits and _, not starting with a digit)`);
  return v;
}

export function requireResourceType(value: string | undefined): string {
  if (!value) throw invalid("resource_type is required");
  if (!RESOURCE_TYPE.test(value)) throw invalid("resource_type must match ^[A-Z][A-Z0-9_]{0,49}$ (e.g. SCORER_JOB, ENDPOINT, GLOBAL)");
  return value;
}

export function requireResourceId(value: string | undefined): string {
  return requireName("resource_id", value, LIMITS.resourceId);
}

const TOKEN_NAME = /^[A-Za-z0-9._@:-]{1,128}$/;

/** The principal an API token authenticates: plain ASCII, so that no two names look alike. */
export function requireTokenName(value: string | undefined): string {
  if (!value) throw invalid("name is required");
  if (!TOKEN_NAME.test(value)) throw invalid("name must be 1-128 characters of letters, digits and . _ @ : -");
  return value;
}

/** A principal as named in a grant: a token's name or a JWT subject. */
export function requirePrincipal(field: string, value: string | undefined): string {
  return requireName(field, value, LIMITS.principal);
}

/** Optional text: undefined stays undefined; "" is refused unless allowClear, where it means "clear". */
export function optionalText(field: string, value: string | undefined, max: number, allowClear = false): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === "") {
    if (allowClear) return null;
    throw invalid(`${field} must not be empty when set`);
  }
  return checkText(field, value, max);
}

/** The auth_config key whose value decides where a key is sent. */
export const API_BASE = "api_base";

export function checkAuthConfig(config: Record<string, string>, options: { allowPrivateApiBase: boolean }): Record<string, string> {
  const entries = Object.entries(config);
  if (entries.length > LIMITS.authConfigEntries) throw invalid(`auth_config has more than ${LIMITS.authConfigEntries} entries`);
  for (const [key, value] of entries) {
    requireText("auth_config key", key, LIMITS.authConfigKey);
    if (CREDENTIAL_KEY.test(key)) {
      throw invalid(`auth_config is stored unencrypted and must not hold credentials: put "${key}" in secret_fields instead`);
    }
    if (value.length > LIMITS.authConfigValue) throw invalid(`auth_config["${key}"] is longer than ${LIMITS.authConfigValue} characters`);
  }
  if (config[API_BASE] !== undefined) checkApiBase(config[API_BASE], { allowPrivate: options.allowPrivateApiBase });
  return config;
}

/** The value of a secret: one string, or a map of strings. */
export type SecretValue = { value: string } | { fields: Record<string, string> };

/**
 * Exactly one of secret_value and secret_fields. Returns undefined when
 * neither is given and the value is optional (updates).
 */
export function parseSecretValue(value: string | undefined, fields: Record<string, string>, required: boolean): SecretValue | undefined {
  const keys = Object.keys(fields);
  if (value !== undefined && keys.length > 0) throw invalid("give either secret_value or secret_fields, not both");
  if (value === undefined && keys.length === 0) {
    if (required) throw invalid("secret_value or secret_fields is required");
    return undefined;
  }
  if (value !== undefined) {
    if (value.length === 0) throw invalid("secret_value must not be empty");
    return { value };
  }
  if (keys.length > LIMITS.fields) throw invalid(`secret_fields has more than ${LIMITS.fields} fields`);
  for (const key of keys) {
    requireText("secret_fields key", key, LIMITS.fieldName);
    if (key === API_BASE) throw invalid("api_base is where the key is sent, not part of it: put it in auth_config");
    if (fields[key]!.length === 0) throw invalid(`secret_fields["${key}"] must not be empty`);
  }
  return { fields };
}

/** The stored form: {"value": …} for one string, the map itself for several fields. */
export function encodeSecretValue(v: SecretValue): Buffer {
  const payload = Buffer.from(JSON.stringify("value" in v ? { value: v.value } : v.fields), "utf8");
  if (payload.length > LIMITS.valueBytes) {
    throw invalid(`the secret value is ${payload.length} bytes once encoded; the limit is ${LIMITS.valueBytes}`);
  }
  return payload;
}

/** Reads unwrap a lone "value". */
export function decodeSecretValue(payload: Buffer): SecretValue {
  const parsed = JSON.parse(payload.toString("utf8")) as Record<string, string>;
  const keys = Object.keys(parsed);
  return keys.length === 1 && keys[0] === "value" ? { value: parsed.value! } : { fields: parsed };
}
