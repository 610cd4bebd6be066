import type { ColumnDef } from "@tanstack/react-table";
import { type Endpoint, type EndpointBinding, type EndpointModelMapping, GatewayService, LinkageType } from "../../../gen/secrets/v1/gateway_pb.js";
import { formatTime } from "../format.js";
import { useAllPages } from "../ui/use-all-pages.js";
import { DataTable } from "../ui/data-table.js";
import { Dialog } from "../ui/dialog.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { routeOf } from "./endpoint-routes.js";
import { resourceColumns } from "./resource-columns.js";

/** MLflow's endpoint details: its models (with each one's share of traffic or place among the fallbacks) and the resources it serves. */
export function EndpointDetailsDrawer({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }) {
  const bindings = useAllPages(GatewayService.method.listEndpointBindings, { endpointId: endpoint.endpointId }, (p) => p.bindings);
  const total = endpoint.modelMappings.filter((m) => m.linkageType !== LinkageType.FALLBACK).reduce((n, m) => n + m.weight, 0);
  const modelColumns: ColumnDef<EndpointModelMapping, unknown>[] = [
    { id: "name", header: "Model definition", accessorFn: (m) => m.modelDefinition?.name ?? m.modelDefinitionId },
    { id: "model", header: "Provider / model", accessorFn: (m) => `${m.modelDefinition?.provider ?? "?"}/${m.modelDefinition?.modelName ?? "?"}` },
    { id: "key", header: "API key", accessorFn: (m) => m.modelDefinition?.secretName || "— (provider key)" },
    { id: "route", header: "Route", enableSorting: false, accessorFn: (m) => routeOf(m, total) },
  ];
  return (
    <Dialog title={`Endpoint ${endpoint.name}`} onClose={onClose} variant="drawer">
      <p className="help">
        Created {formatTime(endpoint.createdAt)} by {endpoint.createdBy}; last updated {formatTime(endpoint.lastUpdatedAt)} by {endpoint.lastUpdatedBy}.
        {endpoint.fallbackConfig && endpoint.modelMappings.some((m) => m.linkageType === LinkageType.FALLBACK) ? ` Fallbacks tried in order, at most ${endpoint.fallbackConfig.maxAttempts || "all"}.` : ""}
      </p>
      <section aria-labelledby="endpoint-models">
        <h3 id="endpoint-models">Models</h3>
        <DataTable<EndpointModelMapping> caption={`Models of ${endpoint.name}`} columns={modelColumns} rows={endpoint.modelMappings} rowKey={(m) => m.mappingId} rowHeader="name" />
      </section>
      <section aria-labelledby="endpoint-resources">
        <h3 id="endpoint-resources">Connected resources</h3>
        {bindings.error ? (
          <ErrorNotice error={bindings.error} doing="Loading connected resources" />
        ) : !bindings.complete ? (
          <Loading what="connected resources" />
        ) : bindings.items.length === 0 ? (
          <Empty title="No resource uses this endpoint">Jobs bind endpoints to themselves (CreateEndpointBinding).</Empty>
        ) : (
          <DataTable<EndpointBinding> caption={`Resources using ${endpoint.name}`} columns={resourceColumns} rows={bindings.items} rowKey={(b) => b.bindingId} rowHeader="resource" />
        )}
      </section>
    </Dialog>
  );
}
