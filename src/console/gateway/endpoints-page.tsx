import type { ColumnDef } from "@tanstack/react-table";
import { useState } from "react";
import { type Endpoint, GatewayService, LinkageType } from "../../../gen/secrets/v1/gateway_pb.js";
import { mayWrite, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { DataTable } from "../ui/data-table.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { EndpointDialog } from "./endpoint-dialog.js";
import { useGatewayUsage } from "./use-gateway-usage.js";

type Open = { kind: "create" } | { kind: "edit"; endpoint: Endpoint } | undefined;

export function EndpointsPage() {
  const session = useSession();
  const usage = useGatewayUsage();
  const [open, setOpen] = useState<Open>();
  const remove = useConsoleMutation(GatewayService.method.deleteEndpoint, { doing: "Deleting the endpoint", success: () => "Deleted the endpoint." });
  const columns: ColumnDef<Endpoint, unknown>[] = [
    { id: "name", header: "Name", accessorFn: (e) => e.name },
    { id: "providers", header: "Providers", accessorFn: (e) => [...new Set(e.modelMappings.map((m) => m.modelDefinition?.provider ?? "?"))].join(", ") },
    {
      id: "models",
      header: "Models",
      enableSorting: false,
      accessorFn: (e) =>
        e.modelMappings
          .map((m) => `${m.modelDefinition?.name ?? m.modelDefinitionId} (${m.linkageType === LinkageType.FALLBACK ? `fallback ${m.fallbackOrder ?? ""}` : `weight ${m.weight}`})`)
          .join("; "),
    },
    { id: "bindings", header: "Bindings", accessorFn: (e) => usage.bindingsOf(e.endpointId).length },
  ];
  if (mayWrite(session)) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => (
        <div className="actions">
          <button type="button" onClick={() => setOpen({ kind: "edit", endpoint: row.original })} aria-label={`Edit ${row.original.name}`}>
            Edit
          </button>
          <button type="button" className="danger" onClick={() => remove.mutate({ endpointId: row.original.endpointId })} aria-label={`Delete ${row.original.name}`}>
            Delete
          </button>
        </div>
      ),
    });
  }
  return (
    <>
      <div className="toolbar">
        <p className="lede">Endpoints route requests to model definitions: weighted primaries, then ordered fallbacks.</p>
        {mayWrite(session) && (
          <button type="button" className="primary" onClick={() => setOpen({ kind: "create" })}>
            Create endpoint
          </button>
        )}
      </div>
      {usage.pending ? (
        <Loading what="endpoints" />
      ) : usage.error ? (
        <ErrorNotice error={usage.error} doing="Loading endpoints" />
      ) : usage.endpoints.length === 0 ? (
        <Empty title="No endpoints yet">Create a model definition first, then an endpoint that routes to it.</Empty>
      ) : (
        <DataTable<Endpoint> caption="Endpoints" columns={columns} rows={usage.endpoints} rowKey={(e) => e.endpointId} rowHeader="name" />
      )}
      {open && <EndpointDialog endpoint={open.kind === "edit" ? open.endpoint : undefined} models={usage.models} onClose={() => setOpen(undefined)} />}
    </>
  );
}
