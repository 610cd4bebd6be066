import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { type AuditEvent, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { formatTime } from "../format.js";
import { DataTable } from "../ui/data-table.js";
import { Pager } from "../ui/pager.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { usePageTokens } from "../ui/use-page-tokens.js";

export interface AuditFilter {
  principal?: string;
  secretId?: string;
  action?: string;
  startTime?: bigint;
  endTime?: bigint;
}

const columns: ColumnDef<AuditEvent, unknown>[] = [
  { id: "time", header: "Time", accessorFn: (e) => Number(e.time), cell: ({ row }) => formatTime(row.original.time) },
  { id: "principal", header: "Principal", accessorFn: (e) => e.principal },
  { id: "action", header: "Action", accessorFn: (e) => e.action },
  { id: "outcome", header: "Outcome", accessorFn: (e) => e.outcome, cell: ({ getValue }) => <span className={`badge ${getValue() === "ok" ? "ok" : "danger"}`}>{getValue() as string}</span> },
  { id: "secret", header: "Secret", accessorFn: (e) => e.secretId, cell: ({ getValue }) => <code>{(getValue() as string) || "—"}</code> },
  { id: "resource", header: "Resource", accessorFn: (e) => (e.resourceType ? `${e.resourceType}/${e.resourceId}` : "—") },
  { id: "subject", header: "Subject", accessorFn: (e) => e.subject || "—" },
  { id: "version", header: "Version", accessorFn: (e) => e.secretVersion || "—" },
  { id: "request", header: "Request id", accessorFn: (e) => e.requestId, enableSorting: false, cell: ({ getValue }) => <code>{getValue() as string}</code> },
];

/** Audit events, newest first, through the API's pages. */
export function AuditEventsTable({ filter, pageSize }: { filter: AuditFilter; pageSize: number }) {
  const paging = usePageTokens(JSON.stringify(filter, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
  const events = useQuery(SecretsService.method.listAuditEvents, { ...filter, pageSize, pageToken: paging.pageToken });
  if (events.isPending) return <Loading what="audit events" />;
  if (events.isError) return <ErrorNotice error={events.error} doing="Loading audit events" />;
  return (
    <>
      {events.data.events.length === 0 ? (
        <Empty title="No audit events match">Widen the time range or clear a filter.</Empty>
      ) : (
        <DataTable<AuditEvent> caption="Audit events" columns={columns} rows={events.data.events} rowKey={(e) => e.eventId} rowHeader="time" />
      )}
      <Pager label="Audit events" paging={paging} nextPageToken={events.data.nextPageToken} shown={events.data.events.length} />
    </>
  );
}
