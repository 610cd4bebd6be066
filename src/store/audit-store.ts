import { and, desc, eq, gte, lt } from "drizzle-orm";
import type { AuditRecord } from "./records.js";
import { auditEvents } from "./schema.js";
import type { Executor } from "./secrets-store.js";

export interface AuditFilter {
  principal?: string;
  secretId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

/** The audit_events table. */
export class AuditStore {
  async insert(ex: Executor, events: AuditRecord[]): Promise<void> {
    if (events.length > 0) await ex.insert(auditEvents).values(events);
  }

  /** Newest first; `before` is the last id of the previous page. */
  async list(ex: Executor, filter: AuditFilter, before: string | undefined, limit: number): Promise<AuditRecord[]> {
    return ex
      .select()
      .from(auditEvents)
      .where(
        and(
          filter.principal === undefined ? undefined : eq(auditEvents.principal, filter.principal),
          filter.secretId === undefined ? undefined : eq(auditEvents.secretId, filter.secretId),
          filter.action === undefined ? undefined : eq(auditEvents.action, filter.action),
          filter.from === undefined ? undefined : gte(auditEvents.at, filter.from),
          filter.to === undefined ? undefined : lt(auditEvents.at, filter.to),
          before === undefined ? undefined : lt(auditEvents.id, before),
        ),
      )
      .orderBy(desc(auditEvents.id))
      .limit(limit);
  }
}
