import { v7 as uuidv7 } from "uuid";
import type { Caller } from "../auth/principal.js";
import { tryLockForTransaction } from "../store/advisory-locks.js";
import type { AuditStore } from "../store/audit-store.js";
import type { Db } from "../store/database.js";
import type { AuditLog } from "./audit-log.js";

export interface AuditRetentionOptions {
  db: Db;
  store: AuditStore;
  audit: AuditLog;
  /** Events older than this many days are deleted. */
  retentionDays: number;
  /** How often to prune. Default 1 h. */
  intervalMs?: number;
  /** Events deleted per transaction. Default 2,000. */
  batchSize?: number;
  /** Told after each run that deleted events, and of each failed run. */
  onPruned?: (deleted: number, cutoff: Date) => void;
  onError?: (err: unknown) => void;
  now?: () => number;
}

export const PRUNE_ACTION = "PruneAuditEvents";
const DAY_MS = 86_400_000;

/**
 * Deletes audit events past their retention, in the background. Each batch is
 * one short transaction that also writes its own audit event (principal
 * `system`, resource `AUDIT_LOG`, the cutoff and the count in resource_id),
 * so that no event disappears without a trace of who removed it and when.
 * Replicas take turns through an advisory lock: a replica that finds it taken
 * leaves the run to the one that holds it.
 */
export class AuditRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly options: AuditRetentionOptions) {}

  /** Prunes now, then every interval; the timer never keeps the process alive. */
  start(): void {
    const tick = () => {
      void this.prune().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 3_600_000).unref();
      });
    };
    tick();
  }

  /** Waits for a run in progress, and runs no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One run: deletes every event older than the retention, batch by batch; resolves with how many. Never rejects. */
  prune(): Promise<number> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<number> {
    const { db, store, audit, batchSize = 2_000 } = this.options;
    const cutoff = new Date((this.options.now ?? Date.now)() - this.options.retentionDays * DAY_MS);
    const system: Caller = { principal: { subject: "system", roles: [] }, requestId: `audit-retention-${uuidv7()}`, peer: "" };
    let total = 0;
    try {
      for (;;) {
        const deleted = await db.transaction(async (tx) => {
          const ex = tx as unknown as Db;
          if (!(await tryLockForTransaction(ex, "auditPrune"))) return 0;
          const n = await store.deleteBefore(ex, cutoff, batchSize);
          if (n > 0) {
            await audit.write(ex, system, { action: PRUNE_ACTION, resourceType: "AUDIT_LOG", resourceId: `before=${cutoff.toISOString()} deleted=${n}`, outcome: "ok" });
          }
          return n;
        });
        total += deleted;
        if (deleted < batchSize || this.stopped) break;
      }
    } catch (err) {
      this.options.onError?.(err);
    }
    if (total > 0) this.options.onPruned?.(total, cutoff);
    return total;
  }
}
