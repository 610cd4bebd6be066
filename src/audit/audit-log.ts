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
  /** The value version a resolve handed out. */
  secretVersion?: number;
  resourceType?: string;
  resourceId?: string;
  /** The principal the call acted on (a grantee, a new owner, a token's principal). */
  subject?: string;
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
  /**
   * Wait one turn of the event loop before each durable insert, so that the
   * calls answered in that turn share it. For an embedded database, whose
   * queries run one at a time on this thread: no call arrives while its insert
   * is in flight, so without the wait every resolve paid an insert of its own
   * (PGlite, c=64: 2.0 statements per resolve against 1.05, and a third more
   * CPU). Off for PostgreSQL, where calls join while an insert is in flight
   * and the extra turn measured as latency at c=1.
   */
  gatherDurable?: boolean;
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
  /** Events ever enqueued, and of those how many were written (or dropped): flush() waits for the one to reach the other. */
  private enqueued = 0;
  private settled = 0;
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<boolean> | undefined;
  private durable: Array<{ records: AuditRecord[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  private committing = false;

  constructor(private readonly options: AuditLogOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 200).unref();
  }

  /** Inside the caller's transaction: it commits or rolls back with the change it records. */
  async write(ex: Executor, caller: Caller, entry: AuditEntry): Promise<void> {
    await this.options.store.insert(ex, [record(caller, entry)]);
  }

  /**
   * Written and committed before this resolves; rejects when it cannot be.
   * Calls that arrive while a write is in flight share the next insert (group
   * commit), so a burst of resolves pays one commit, not one each.
   */
  writeNow(caller: Caller, entries: AuditEntry[]): Promise<void> {
    return new Promise((resolve, reject) => {
      // One moment for all of a call's events, which then share every column but their own (see the audit store).
      const at = new Date();
      this.durable.push({ records: entries.map((e) => record(caller, e, at)), resolve, reject });
      void this.commitDurable();
    });
  }

  enqueue(caller: Caller, entry: AuditEntry): void {
    this.pending.push(record(caller, entry));
    this.enqueued++;
    // Dropped only between writes, so that an in-flight batch still matches the head of the queue.
    if (this.pending.length > MAX_PENDING && !this.writing) this.settled += this.pending.splice(0, this.pending.length - MAX_PENDING).length;
    if (this.pending.length >= (this.options.batchSize ?? 500)) void this.flush();
  }

  /** Resolves when every event enqueued before the call is written, or when writing fails (they are kept for the next try). */
  async flush(): Promise<void> {
    const goal = this.enqueued;
    while (this.settled < goal) {
      this.writing ??= this.writeBatch().finally(() => {
        this.writing = undefined;
      });
      if (!(await this.writing)) return;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async commitDurable(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.durable.length > 0) {
        if (this.options.gatherDurable) await new Promise((resolve) => setImmediate(resolve));
        const batch = this.durable.splice(0, 1000);
        try {
          await this.options.store.insert(this.options.db, batch.flatMap((b) => b.records));
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  private async writeBatch(): Promise<boolean> {
    const batch = this.pending.slice(0, 1000);
    if (batch.length === 0) return true;
    try {
      await this.options.store.insert(this.options.db, batch);
    } catch (err) {
      this.options.onFlushError?.(err, this.pending.length);
      return false;
    }
    this.pending.splice(0, batch.length);
    this.settled += batch.length;
    return true;
  }
}

/** Longest identifier kept in an event; the contract's own limits are all below it. */
const MAX_TARGET_CHARS = 256;

/**
 * A refused call is recorded with the identifiers it named, which were not
 * validated: they are made storable (PostgreSQL text takes neither NUL nor an
 * unpaired surrogate, and one such event would fail every batch it is in) and
 * bounded, so that a hostile request cannot jam or bloat the trail.
 */
function target(value: string | undefined): string | null {
  if (value === undefined) return null;
  const bounded = value.length > MAX_TARGET_CHARS ? `${value.slice(0, MAX_TARGET_CHARS)}…` : value;
  // After the cut, which may split a surrogate pair.
  return bounded.toWellFormed().replaceAll("\u0000", "\ufffd");
}

function record(caller: Caller, e: AuditEntry, at = new Date()): AuditRecord {
  return {
    id: uuidv7(),
    at,
    principal: caller.principal.subject,
    action: e.action,
    secretId: target(e.secretId),
    secretVersion: e.secretVersion ?? null,
    resourceType: target(e.resourceType),
    resourceId: target(e.resourceId),
    subject: target(e.subject),
    outcome: e.outcome,
    requestId: caller.requestId,
    peer: caller.peer,
  };
}
