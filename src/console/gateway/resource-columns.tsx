import type { ColumnDef } from "@tanstack/react-table";
import type { EndpointBinding } from "../../../gen/secrets/v1/gateway_pb.js";
import { formatTime, resourceLabel } from "../format.js";

/** A resource an endpoint serves, as the endpoint's and the key's drawers list it. */
export const resourceColumns: ColumnDef<EndpointBinding, unknown>[] = [
  { id: "resource", header: "Resource", accessorFn: resourceLabel, cell: ({ getValue }) => <code>{getValue() as string}</code> },
  { id: "display", header: "Display name", accessorFn: (b) => b.displayName || "—" },
  { id: "by", header: "Bound by", accessorFn: (b) => b.createdBy },
  { id: "at", header: "Bound at", accessorFn: (b) => Number(b.createdAt), cell: ({ row }) => formatTime(row.original.createdAt) },
];
