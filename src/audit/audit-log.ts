import { v7 as uuidv7 } from "uuid";
import type { Caller } from "../auth/principal.js";
import type { AuditStore } from "../store/audit-store.js";
import type { Db } from "../store/database.js";
import type { AuditRecord } from "../store/records.js";
import type { Executor } from "../store/secrets-store.js";

/** What happened; the caller's identity, request id and peer are added from the call. */
export interface AuditEntry {
  action: string;
  secretId?: string;
  resourceType?: string;
  resourceId?: string;
  /** "ok", "denied", or an error code. */
  outcome: string;
}

export interface AuditLogOptions {
  store: AuditStore;
  db: Db;
  /** How often buffered events are written. Default 200 ms. */
  flushIntervalMs?: number;
  /** Buffered events beyond this are written at once rather than waiting. Default 500. */
  batchSize?: number;
  /** Told when a buffered batch could not be written (the events are kept for the next try). */
  onFlushError?: (err: unknown, pending: number) => void;
}

/** Events kept in memory at most while the database refuses them; older ones are dropped first. */
const MAX_PENDING = 50_000;

/**
 * The audit trail. Changes write their event in their own transaction, so the
 * two commit together; resolves write theirs before any value is returned;
 * metadata reads and failed calls are buffered and written in batches.
 */
export class AuditLog {
  private pending: AuditRecord[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: AuditLogOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 200).unref();
  }

  /** Inside the caller's transaction (or on its own, failing the caller when it cannot be written). */
  async write(ex: Executor, caller: Caller, entry: AuditEntry): Promise<void> {
    await this.options.store.insert(ex, [record(caller, entry)]);
  }

  enqueue(caller: Caller, entry: AuditEntry): void {
    this.pending.push(record(caller, entry));
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    if (this.pending.length >= (this.options.batchSize ?? 500)) void this.flush();
  }

  /** Writes what is buffered; resolves when it is written or has failed (and is kept). */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending.slice(0, 1000);
          try {
            await this.options.store.insert(this.options.db, batch);
            this.pending.splice(0, batch.length);
          } catch (err) {
            this.options.onFlushError?.(err, this.pending.length);
            return;
          }
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

function record(caller: Caller, e: AuditEntry): AuditRecord {
  return {
    id: uuidv7(),
    at: new Date(),
    principal: caller.principal.subject,
    action: e.action,
    secretId: e.secretId ?? null,
    resourceType: e.resourceType ?? null,
    resourceId: e.resourceId ?? null,
    outcome: e.outcome,
    requestId: caller.requestId,
    peer: caller.peer,
  };
}
