import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { secrets } from "./schema.js";

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * A principal's key for a provider (one each), or the provider's shared key
 * (at most one, set by an admin). Rotating the secret's value reaches every
 * model definition that relies on the key; deleting the secret unsets it.
 */
export const providerKeys = pgTable(
  "provider_keys",
  {
    id: text("provider_key_id").primaryKey(),
    provider: text("provider").notNull(),
    // Empty for the shared key.
    principal: text("principal").notNull(),
    isShared: boolean("is_shared").notNull(),
    secretId: text("secret_id")
      .notNull()
      .references(() => secrets.id, { onDelete: "cascade" }),
    setBy: text("set_by").notNull(),
    setAt: at("set_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("provider_keys_principal_uq").on(t.principal, t.provider).where(sql`NOT ${t.isShared}`),
    uniqueIndex("provider_keys_shared_uq").on(t.provider).where(sql`${t.isShared}`),
    index("provider_keys_secret_idx").on(t.secretId),
  ],
);
