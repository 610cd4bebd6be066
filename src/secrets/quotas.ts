import { type Principal, hasRole } from "../auth/principal.js";
import { lockPrincipalForTransaction } from "../store/advisory-locks.js";
import type { Executor, SecretsStore } from "../store/secrets-store.js";
import { ServiceError } from "./errors.js";

export interface QuotaLimits {
  /** Secrets one principal may create (shared and private); 0 = no limit. */
  maxSecretsPerPrincipal: number;
  /** Stored bytes of one principal's secrets, every retained value version counted; 0 = no limit. */
  maxBytesPerPrincipal: number;
}

export const DEFAULT_QUOTAS: QuotaLimits = { maxSecretsPerPrincipal: 10_000, maxBytesPerPrincipal: 64 * 1024 * 1024 };

/**
 * Per-principal quotas, so that one token cannot fill the database. Admins
 * are exempt. Checked after the write, inside its transaction: a write that
 * takes its owner past a limit throws and rolls back, and the usage measured
 * is exact (version retention has already dropped what it drops). The
 * owner's advisory lock, held from the check to the commit, makes one
 * principal's quota-checked writes take turns, so that two at the limit
 * cannot both pass; other principals are not held up.
 */
export class Quotas {
  constructor(
    private readonly store: Pick<SecretsStore, "usageOf">,
    private readonly limits: QuotaLimits = DEFAULT_QUOTAS,
  ) {}

  /**
   * After a secret (and its first value) was created by the caller; sent
   * behind the write, before its answer. Undefined when the caller is held to
   * no quota: no statement was sent, and there is nothing to wait for.
   */
  checkCreated(tx: Executor, caller: Principal): Promise<void> | undefined {
    return hasRole(caller, "admin") ? undefined : this.check(tx, caller.subject, true);
  }

  /** After a new value version of one of owner's secrets was written by the caller; as checkCreated. */
  checkValueWritten(tx: Executor, caller: Principal, owner: string): Promise<void> | undefined {
    return hasRole(caller, "admin") ? undefined : this.check(tx, owner, false);
  }

  private check(tx: Executor, owner: string, created: boolean): Promise<void> | undefined {
    const { maxSecretsPerPrincipal: maxSecrets, maxBytesPerPrincipal: maxBytes } = this.limits;
    const countSecrets = created && maxSecrets > 0;
    if (!countSecrets && maxBytes === 0) return undefined;
    // Sent together, in this order, without waiting in between: PostgreSQL runs a transaction's statements one after
    // another, so the usage (a statement of its own, with its own snapshot) is read once the lock is held. Both are
    // drizzle query builders on purpose: a query reaches the connection some microtasks after it is made, as many for
    // each builder, so they go out in the order made (a prepared query goes out sooner, which would put it first).
    // test/statements.test.ts checks the order on the wire.
    const counted = Promise.all([lockPrincipalForTransaction(tx, owner), this.store.usageOf(tx, owner)]);
    return counted.then(([, { secrets, bytes }]) => {
      if (countSecrets && secrets > maxSecrets) {
        throw exhausted(`${owner} may have at most ${maxSecrets} secrets (SECRETS_MAX_SECRETS_PER_PRINCIPAL): delete some first, or ask an admin to raise the limit`);
      }
      if (maxBytes > 0 && bytes > maxBytes) {
        throw exhausted(
          `the values of ${owner}'s secrets would take ${bytes} bytes, over the ${maxBytes} allowed (SECRETS_MAX_BYTES_PER_PRINCIPAL; ` +
            "every retained version counts): delete secrets first, or ask an admin to raise the limit",
        );
      }
    });
  }
}

const exhausted = (detail: string) => new ServiceError("RESOURCE_EXHAUSTED", `quota exceeded: ${detail}`);
