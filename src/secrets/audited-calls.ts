import type { AuditEntry, AuditLog } from "../audit/audit-log.js";
import type { Rpc } from "../auth/policy.js";
import type { Caller } from "../auth/principal.js";
import type { Executor } from "../store/secrets-store.js";
import { authorize } from "./authorize.js";
import { outcomeOf } from "./errors.js";

/** The part of an audit entry a call learns as it goes (the secret a binding belongs to, say). */
export type Target = Omit<AuditEntry, "action" | "outcome">;

/**
 * What a change's work returns when its last statement has been sent and not
 * yet answered: the call's audit event and COMMIT are sent behind it, in the
 * same write, rather than a round trip later. Only for a statement whose
 * answer decides nothing but the result (an update of a row the transaction
 * has locked, an insert that either lands or fails): whatever it fails with,
 * the transaction rolls back and that failure is the call's.
 */
export class Unanswered<R> {
  constructor(readonly answer: Promise<R>) {
    // Observed here: it may fail while the transaction is still being ended, before anyone awaits it.
    answer.catch(() => {});
  }
}

export type InTransaction = <R>(work: (tx: Executor) => Promise<R | Unanswered<R>>) => Promise<R>;

export interface AuditedCallsOptions {
  audit: AuditLog;
  transaction: <T>(fn: (tx: Executor) => Promise<T>) => Promise<T>;
}

/**
 * The two shapes every domain call takes, so that each one is authorized by
 * the RPC table and leaves exactly one audit event, whichever service it
 * belongs to.
 */
export class AuditedCalls {
  constructor(private readonly options: AuditedCallsOptions) {}

  /**
   * A change: authorized by the RPC table, run in one transaction that also
   * writes its audit event, so the change and its event commit together. A
   * failed change leaves a (buffered) event with its outcome.
   */
  async change<T>(caller: Caller, rpc: Rpc, audited: Target, fn: (inTransaction: InTransaction) => Promise<T>): Promise<T> {
    const { audit } = this.options;
    let committed = false;
    try {
      authorize(caller, rpc);
      const result = await fn(async <R>(work: (tx: Executor) => Promise<R | Unanswered<R>>) => {
        let written: Promise<void> | undefined;
        let last: Unanswered<R> | undefined;
        let out: R | Unanswered<R>;
        try {
          out = await this.options.transaction(async (tx) => {
            const done = await work(tx);
            if (done instanceof Unanswered) last = done;
            // Left in flight, so that it shares COMMIT's write: if it fails, the transaction is aborted and
            // its COMMIT rolls everything back, and the failure is thrown below.
            written = audit.write(tx, caller, { action: rpc, ...audited, outcome: "ok" });
            written.catch(() => {});
            return done;
          });
        } catch (err) {
          // When the work's last statement failed, that is why the transaction rolled back: its error is the call's.
          if (last) await last.answer;
          throw err;
        }
        await written;
        const answer = last ? await last.answer : (out as R);
        committed = true;
        return answer;
      });
      // An idempotent replay answers without a transaction: it still leaves its event.
      if (!committed) audit.enqueue(caller, { action: rpc, ...audited, outcome: "ok" });
      return result;
    } catch (err) {
      audit.enqueue(caller, { action: rpc, ...audited, outcome: outcomeOf(err) });
      throw err;
    }
  }

  /**
   * A call that hands out values: authorized by the RPC table; its success
   * events (one per secret) are written by fn itself, durably, before any
   * value leaves; a failure leaves a buffered event with its outcome.
   */
  async release<T>(caller: Caller, rpc: Rpc, audited: Target, fn: () => Promise<T>): Promise<T> {
    try {
      authorize(caller, rpc);
      return await fn();
    } catch (err) {
      this.options.audit.enqueue(caller, { action: rpc, ...audited, outcome: outcomeOf(err) });
      throw err;
    }
  }

  /** A read of metadata: authorized by the RPC table, audited in the background. */
  async read<T>(caller: Caller, rpc: Rpc, audited: Target, fn: (audited: Target) => Promise<T>): Promise<T> {
    const { audit } = this.options;
    try {
      authorize(caller, rpc);
      const result = await fn(audited);
      audit.enqueue(caller, { action: rpc, ...audited, outcome: "ok" });
      return result;
    } catch (err) {
      audit.enqueue(caller, { action: rpc, ...audited, outcome: outcomeOf(err) });
      throw err;
    }
  }
}
