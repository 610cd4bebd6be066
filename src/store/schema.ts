import { sql } from "drizzle-orm";
import { boolean, customType, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)),
});

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const secrets = pgTable(
  "secrets",
  {
    id: text("secret_id").primaryKey(),
    name: text("secret_name").notNull(),
    fieldName: text("field_name").notNull(),
    isShared: boolean("is_shared").notNull(),
    state: text("state", { enum: ["ACTIVE", "REVOKED"] }).notNull().default("ACTIVE"),
    provider: text("provider"),
    model: text("model"),
    authConfig: jsonb("auth_config").$type<Record<string, string>>().notNull().default({}),
    maskedValue: text("masked_value").notNull().default(""),
    maskedFields: jsonb("masked_fields").$type<Record<string, string>>().notNull().default({}),
    currentVersion: integer("current_version").notNull(),
    // The ciphertext bytes of its retained value versions, kept by the statements that add and prune them: an owner's
    // byte quota is the sum over its secrets, rather than over every version it has.
    storedBytes: integer("stored_bytes").notNull().default(0),
    // Bumped by every change; the etag is derived from it.
    revision: integer("revision").notNull().default(1),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
    lastUpdatedBy: text("last_updated_by").notNull(),
    lastUpdatedAt: at("last_updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("secrets_shared_name_uq").on(t.name).where(sql`${t.isShared}`),
    uniqueIndex("secrets_private_name_uq").on(t.createdBy, t.name).where(sql`NOT ${t.isShared}`),
    // An owner's secrets, counted and summed by its quota check on every write it makes.
    index("secrets_created_by_idx").on(t.createdBy),
  ],
);

/** Every value ever written, immutable; the newest few are kept (retention). */
export const secretVersions = pgTable(
  "secret_versions",
  {
    secretId: text("secret_id")
      .notNull()
      .references(() => secrets.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    kekVersion: integer("kek_version").notNull(),
    nonce: bytea("nonce").notNull(),
    ciphertext: bytea("ciphertext").notNull(),
    wrappedDek: bytea("wrapped_dek").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.secretId, t.version] }), index("secret_versions_kek_idx").on(t.kekVersion)],
);

export const secretBindings = pgTable(
  "secret_bindings",
  {
    id: text("binding_id").primaryKey(),
    secretId: text("secret_id")
      .notNull()
      .references(() => secrets.id, { onDelete: "cascade" }),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    fieldName: text("field_name").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("secret_bindings_resource_field_uq").on(t.resourceType, t.resourceId, t.fieldName),
    index("secret_bindings_secret_idx").on(t.secretId),
  ],
);

/**
 * Who may bind to a resource: its owner (the first principal to bind to it)
 * and the principals the owner granted. GLOBAL, the space of shared secrets,
 * has no row. A row outlives its bindings, so that an emptied job cannot be
 * claimed by someone else.
 */
export const resources = pgTable(
  "resources",
  {
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    owner: text("owner").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
    lastUpdatedBy: text("last_updated_by").notNull(),
    lastUpdatedAt: at("last_updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.resourceType, t.resourceId] }), index("resources_owner_idx").on(t.owner)],
);

export const resourceGrants = pgTable(
  "resource_grants",
  {
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    principal: text("principal").notNull(),
    grantedBy: text("granted_by").notNull(),
    grantedAt: at("granted_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.resourceType, t.resourceId, t.principal] }),
    foreignKey({ columns: [t.resourceType, t.resourceId], foreignColumns: [resources.resourceType, resources.resourceId] }).onDelete("cascade"),
    index("resource_grants_principal_idx").on(t.principal),
  ],
);

/** Creates carrying a request_id, so that a retry returns the first result. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    principal: text("principal").notNull(),
    requestId: text("request_id").notNull(),
    // HMAC of the request under a key derived from the KEK: a plain hash of a low-entropy value could be brute-forced.
    requestMac: text("request_mac").notNull(),
    kekVersion: integer("kek_version").notNull(),
    secretId: text("secret_id")
      .notNull()
      .references(() => secrets.id, { onDelete: "cascade" }),
    bindingId: text("binding_id"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.principal, t.requestId] })],
);

/** One row per KEK version: never the key, only what proves a loaded key is the right one. */
export const kekVersions = pgTable("kek_versions", {
  version: integer("version").primaryKey(),
  fingerprint: text("fingerprint").notNull(),
  source: text("source", { enum: ["keystore", "passphrase"] }).notNull(),
  // Random per-installation salt of a passphrase-derived version.
  salt: bytea("salt"),
  state: text("state", { enum: ["active", "inactive", "retired"] }).notNull(),
  createdAt: at("created_at").notNull().defaultNow(),
  activatedAt: at("activated_at"),
});

/** API tokens: only a SHA-256 of each token is stored; the token itself is shown once. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: text("token_id").primaryKey(),
    name: text("name").notNull(),
    role: text("role", { enum: ["admin", "user", "service"] }).notNull(),
    tokenHash: text("token_hash").notNull(),
    description: text("description").notNull().default(""),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
    expiresAt: at("expires_at"),
    // Written at most once a minute per token, on a cache miss: not one write per call.
    lastUsedAt: at("last_used_at"),
    revokedAt: at("revoked_at"),
  },
  (t) => [uniqueIndex("api_tokens_hash_uq").on(t.tokenHash), index("api_tokens_name_idx").on(t.name)],
);

/** Who did what to which secret or resource, and how it ended. Never a value; no foreign keys, so events outlive what they describe. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: text("event_id").primaryKey(),
    at: at("at").notNull(),
    principal: text("principal").notNull(),
    action: text("action").notNull(),
    secretId: text("secret_id"),
    // The value version a resolve handed out.
    secretVersion: integer("secret_version"),
    resourceType: text("resource_type"),
    resourceId: text("resource_id"),
    // The principal a call acted on: the grantee of a grant, the new owner of a resource, a token's principal.
    subject: text("subject"),
    outcome: text("outcome").notNull(),
    requestId: text("request_id").notNull(),
    peer: text("peer").notNull(),
  },
  (t) => [index("audit_events_principal_idx").on(t.principal, t.id), index("audit_events_secret_idx").on(t.secretId, t.id), index("audit_events_at_idx").on(t.at)],
);
