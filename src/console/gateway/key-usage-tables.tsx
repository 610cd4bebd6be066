import type { ColumnDef } from "@tanstack/react-table";
import { useState } from "react";
import type { Endpoint, EndpointBinding } from "../../../gen/secrets/v1/gateway_pb.js";
import { DataTable } from "../ui/data-table.js";
import { Dialog } from "../ui/dialog.js";
import { Empty } from "../ui/states.js";
import { EndpointDetailsDrawer } from "./endpoint-details-drawer.js";
import { resourceColumns } from "./resource-columns.js";
import type { KeyUsage } from "./use-gateway-usage.js";

interface Props {
  keyName: string;
  usage: KeyUsage;
  /** Opens the endpoint's details drawer (its models and every resource it serves). */
  onOpenEndpoint: (endpoint: Endpoint) => void;
}

function EndpointButton({ endpoint, onOpen }: { endpoint: Endpoint | undefined; onOpen: (e: Endpoint) => void }) {
  if (!endpoint) return "—";
  return (
    <button type="button" className="link" onClick={() => onOpen(endpoint)} aria-label={`Details of endpoint ${endpoint.name}`}>
      {endpoint.name}
    </button>
  );
}

/** The endpoints that route to a model definition on the key: shared by the key's drawer and its "Endpoints" count. */
export function KeyEndpointsTable({ keyName, usage, onOpenEndpoint }: Props) {
  if (usage.endpoints.length === 0) return <Empty title="No endpoint uses this key">An endpoint uses it once it routes to a model definition on it.</Empty>;
  const columns: ColumnDef<Endpoint, unknown>[] = [
    { id: "name", header: "Endpoint", accessorFn: (e) => e.name, cell: ({ row }) => <EndpointButton endpoint={row.original} onOpen={onOpenEndpoint} /> },
    { id: "models", header: "Its models", enableSorting: false, accessorFn: (e) => e.modelMappings.map((m) => m.modelDefinition?.name ?? m.modelDefinitionId).join(", ") },
    { id: "resources", header: "Resources", accessorFn: (e) => usage.bindings.filter((b) => b.endpointId === e.endpointId).length },
  ];
  return <DataTable<Endpoint> caption={`Endpoints using ${keyName}`} columns={columns} rows={usage.endpoints} rowKey={(e) => e.endpointId} rowHeader="name" />;
}

/** The resources bound to those endpoints, each with the endpoint that serves it. */
export function KeyResourcesTable({ keyName, usage, onOpenEndpoint }: Props) {
  if (usage.bindings.length === 0) return <Empty title="No resource uses this key">Jobs bind endpoints to themselves (CreateEndpointBinding).</Empty>;
  const endpointOf = (b: EndpointBinding) => usage.endpoints.find((e) => e.endpointId === b.endpointId);
  const columns: ColumnDef<EndpointBinding, unknown>[] = [
    ...resourceColumns,
    { id: "endpoint", header: "Through endpoint", accessorFn: (b) => b.endpointName, cell: ({ row }) => <EndpointButton endpoint={endpointOf(row.original)} onOpen={onOpenEndpoint} /> },
  ];
  return <DataTable<EndpointBinding> caption={`Resources using ${keyName}`} columns={columns} rows={usage.bindings} rowKey={(b) => b.bindingId} rowHeader="resource" />;
}

/** What one of the API keys table's counts opens: that list alone, each endpoint opening its own drawer. */
export function KeyUsageDrawer({ kind, keyName, usage, onClose }: { kind: "endpoints" | "resources"; keyName: string; usage: KeyUsage; onClose: () => void }) {
  const [endpoint, setEndpoint] = useState<Endpoint>();
  const Table = kind === "endpoints" ? KeyEndpointsTable : KeyResourcesTable;
  return (
    <>
      <Dialog title={kind === "endpoints" ? `Endpoints using ${keyName}` : `Resources using ${keyName}`} onClose={onClose} variant="drawer">
        <Table keyName={keyName} usage={usage} onOpenEndpoint={setEndpoint} />
      </Dialog>
      {endpoint && <EndpointDetailsDrawer endpoint={endpoint} onClose={() => setEndpoint(undefined)} />}
    </>
  );
}
