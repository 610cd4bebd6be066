import { and, asc, desc, eq, getTableColumns, getTableName, gte, inArray, lt, sql } from "drizzle-orm";
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

// Derived from the schema once: each record's property becomes its column, typed as the column is.
const columns = Object.entries(getTableColumns(auditEvents));
const INSERT_FROM_JSON = sql.raw(
  `insert into "${getTableName(auditEvents)}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")}) select ${columns.map(([key]) => `"${key}"`).join(", ")} from json_to_recordset`,
);
const RECORD_SHAPE = sql.raw(`as e(${columns.map(([key, c]) => `"${key}" ${c.getSQLType()}`).join(", ")})`);

/** The audit_events table. */
export class AuditStore {
  /**
   * Any number of events as one parameter: the statement text is the same for
   * a batch of 1 or 1,000, so it is prepared once per connection, and the
   * server renders no per-row SQL.
   */
  async insert(ex: Executor, events: AuditRecord[]): Promise<void> {
    if (events.length > 0) await ex.execute(sql`${INSERT_FROM_JSON}(${JSON.stringify(events)}::json) ${RECORD_SHAPE}`);
  }

  /** Deletes up to `limit` of the oldest events from before `cutoff` (through the index on `at`); returns how many. */
  async deleteBefore(ex: Executor, cutoff: Date, limit: number): Promise<number> {
    const oldest = ex.select({ id: auditEvents.id }).from(auditEvents).where(lt(auditEvents.at, cutoff)).orderBy(asc(auditEvents.at)).limit(limit);
    const rows = await ex.delete(auditEvents).where(inArray(auditEvents.id, oldest)).returning({ id: auditEvents.id });
    return rows.length;
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
