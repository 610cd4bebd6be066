import { sql } from "drizzle-orm";
import type { Db } from "./database.js";

/**
 * Transaction-scoped PostgreSQL advisory locks, for work that replicas must
 * take turns at. Commit or rollback releases them, so a process that dies
 * holding one leaves nothing behind. Every key lives here so that none
 * collides (migrations hold a session lock of their own, in database.ts).
 */
const KEYS = {
  bootstrapToken: 7_358_221_904_114n,
  auditPrune: 7_358_221_904_115n,
} as const;

/** Per-principal locks use the two-integer form, a key space apart from the bigint keys above. */
const PRINCIPAL_NAMESPACE = 735_822;

const ONE_ROW = sql`(values (1)) as one(x)`;

/** Waits until this transaction holds the lock. */
export async function lockForTransaction(tx: Db, key: keyof typeof KEYS): Promise<void> {
  await tx.select({ ok: sql`pg_advisory_xact_lock(${KEYS[key].toString()}::bigint)` }).from(ONE_ROW);
}

/** Takes the lock if it is free; false when another transaction holds it. */
export async function tryLockForTransaction(tx: Db, key: keyof typeof KEYS): Promise<boolean> {
  const [row] = await tx.select({ ok: sql<boolean>`pg_try_advisory_xact_lock(${KEYS[key].toString()}::bigint)` }).from(ONE_ROW);
  return row?.ok === true;
}

/** Serializes one principal's transactions that take it; other principals' are not held up. */
export async function lockPrincipalForTransaction(tx: Db, principal: string): Promise<void> {
  await tx.select({ ok: sql`pg_advisory_xact_lock(${PRINCIPAL_NAMESPACE}, hashtext(${principal}))` }).from(ONE_ROW);
}
