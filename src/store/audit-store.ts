import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
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
  /**
   * Any number of events as one parameter: the statement text is the same for
   * a batch of 1 or 1,000, so it is prepared once per connection, and the
   * server renders no per-row SQL.
   */
  async insert(ex: Executor, events: AuditRecord[]): Promise<void> {
    if (events.length === 0) return;
    await ex.execute(sql`
      insert into audit_events (event_id, at, principal, action, secret_id, resource_type, resource_id, outcome, request_id, peer)
      select "id", "at", "principal", "action", "secretId", "resourceType", "resourceId", "outcome", "requestId", "peer"
      from json_to_recordset(${JSON.stringify(events)}::json) as e(
        "id" text, "at" timestamptz, "principal" text, "action" text, "secretId" text,
        "resourceType" text, "resourceId" text, "outcome" text, "requestId" text, "peer" text)`);
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
