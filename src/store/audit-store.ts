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

/** The columns in which the events of one call differ: a resolve's ten events share all the others. */
const OWN_KEYS = ["id", "secretId", "secretVersion"] as const;
type OwnKey = (typeof OWN_KEYS)[number];
const OWN: ReadonlySet<string> = new Set(OWN_KEYS);

// Derived from the schema once: each record's property becomes its column, typed as the column is. A batch goes as
// one JSON parameter, either of events or of groups: each holding what its events share once, then each event's own.
const columns = Object.entries(getTableColumns(auditEvents));
const shared = columns.filter(([key]) => !OWN.has(key));
const own = columns.filter(([key]) => OWN.has(key));
const shape = (cols: typeof columns) => cols.map(([key, c]) => `"${key}" ${c.getSQLType()}`).join(", ");
const insertSelect = (from: (key: string) => string, rows: string) => {
  const into = `insert into "${getTableName(auditEvents)}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")})`;
  const select = `select ${columns.map(([key]) => `${from(key)}."${key}"`).join(", ")} from json_to_recordset(`;
  return [sql.raw(`${into} ${select}`), sql.raw(`::json) ${rows}`)] as const;
};
const FROM_EVENTS = insertSelect(() => "e", `as e(${shape(columns)})`);
const FROM_GROUPS = insertSelect((key) => (OWN.has(key) ? "e" : "g"), `as g(${shape(shared)}, "events" json), json_to_recordset(g."events") as e(${shape(own)})`);
const SHARED_KEYS = shared.map(([key]) => key as Exclude<keyof AuditRecord, OwnKey>);

type Group = Omit<AuditRecord, OwnKey> & { events: Array<Pick<AuditRecord, OwnKey>> };

const sameShared = (a: AuditRecord, b: AuditRecord) => SHARED_KEYS.every((k) => (k === "at" ? a.at.getTime() === b.at.getTime() : a[k] === b[k]));
function pick<K extends keyof AuditRecord>(e: AuditRecord, keys: readonly K[]): Pick<AuditRecord, K> {
  const out: Partial<Pick<AuditRecord, K>> = {};
  for (const k of keys) out[k] = e[k];
  return out as Pick<AuditRecord, K>;
}

/**
 * Consecutive events that agree in every shared column go into one group: a
 * resolve's ten events, which then take two-fifths of the JSON and less of
 * the server's CPU (README, Performance).
 */
function grouped(events: AuditRecord[]): Group[] {
  const groups: Group[] = [];
  for (const [i, e] of events.entries()) {
    const mine = pick(e, OWN_KEYS);
    if (i > 0 && sameShared(events[i - 1]!, e)) groups.at(-1)!.events.push(mine);
    else groups.push({ ...pick(e, SHARED_KEYS), events: [mine] });
  }
  return groups;
}

/** The audit_events table. */
export class AuditStore {
  /**
   * Any number of events as one parameter: one of two statement texts,
   * whatever the batch's size, each prepared once per connection, and the
   * server renders no per-row SQL.
   */
  async insert(ex: Executor, events: AuditRecord[]): Promise<void> {
    if (events.length === 0) return;
    // Found at the first pair for a resolve; a write's one event is not compared, nor copied into a group.
    const anyGrouped = events.some((e, i) => i > 0 && sameShared(events[i - 1]!, e));
    // Otherwise (a write's one event, a flush of buffered reads) the events go as they did before grouping: nothing to
    // gain there, and the statement a write sends stays the one it was measured with.
    const [head, tail] = anyGrouped ? FROM_GROUPS : FROM_EVENTS;
    await ex.execute(sql`${head}${JSON.stringify(anyGrouped ? grouped(events) : events)}${tail}`);
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
