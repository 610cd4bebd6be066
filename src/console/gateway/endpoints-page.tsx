import type { ColumnDef } from "@tanstack/react-table";
import { useState } from "react";
import { type Endpoint, GatewayService } from "../../../gen/secrets/v1/gateway_pb.js";
import { mayWrite, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ConfirmDialog } from "../ui/confirm-dialog.js";
import { DataTable } from "../ui/data-table.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { EndpointDetailsDrawer } from "./endpoint-details-drawer.js";
import { EndpointDialog } from "./endpoint-dialog.js";
import { routeOf } from "./endpoint-routes.js";
import { useGatewayUsage } from "./use-gateway-usage.js";

type Open = { kind: "create" } | { kind: "edit" | "details" | "delete"; endpoint: Endpoint } | undefined;

export function EndpointsPage() {
  const session = useSession();
  const usage = useGatewayUsage();
  const [open, setOpen] = useState<Open>();
  const close = () => setOpen(undefined);
  const remove = useConsoleMutation(GatewayService.method.deleteEndpoint, { doing: "Deleting the endpoint", success: () => "Deleted the endpoint.", onSuccess: close });
  const columns: ColumnDef<Endpoint, unknown>[] = [
    {
      id: "name",
      header: "Name",
      accessorFn: (e) => e.name,
      cell: ({ row }) => (
        <button type="button" className="link" onClick={() => setOpen({ kind: "details", endpoint: row.original })}>
          {row.original.name}
        </button>
      ),
    },
    { id: "providers", header: "Providers", accessorFn: (e) => [...new Set(e.modelMappings.map((m) => m.modelDefinition?.provider ?? "?"))].join(", ") },
    { id: "models", header: "Models", enableSorting: false, accessorFn: (e) => e.modelMappings.map((m) => `${m.modelDefinition?.name ?? m.modelDefinitionId} (${routeOf(m)})`).join("; ") },
    { id: "bindings", header: "Bindings", accessorFn: (e) => usage.bindingsOf(e.endpointId).length },
  ];
  if (mayWrite(session)) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => (
        <div className="actions">
          <button type="button" onClick={() => setOpen({ kind: "details", endpoint: row.original })} aria-label={`Details of ${row.original.name}`}>
            Details
          </button>
          <button type="button" onClick={() => setOpen({ kind: "edit", endpoint: row.original })} aria-label={`Edit ${row.original.name}`}>
            Edit
          </button>
          <button type="button" className="danger" onClick={() => setOpen({ kind: "delete", endpoint: row.original })} aria-label={`Delete ${row.original.name}`}>
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
        <Empty title="No endpoints yet">Create one: pick a provider and model from the catalog, and a key, for each model it routes to.</Empty>
      ) : (
        <DataTable<Endpoint> caption="Endpoints" columns={columns} rows={usage.endpoints} rowKey={(e) => e.endpointId} rowHeader="name" />
      )}
      {(open?.kind === "create" || open?.kind === "edit") && <EndpointDialog endpoint={open.kind === "edit" ? open.endpoint : undefined} models={usage.models} onClose={close} />}
      {open?.kind === "details" && <EndpointDetailsDrawer endpoint={open.endpoint} onClose={close} />}
      {open?.kind === "delete" && (
        <ConfirmDialog
          title={`Delete endpoint ${open.endpoint.name}`}
          confirmLabel="Delete endpoint"
          onConfirm={() => remove.mutate({ endpointId: open.endpoint.endpointId })}
          onClose={close}
          pending={remove.isPending}
          error={remove.error}
          doing="Deleting the endpoint"
        >
          <p>
            The endpoint and its {usage.bindingsOf(open.endpoint.endpointId).length} binding(s) go; its model definitions and keys stay.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
