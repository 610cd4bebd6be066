import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { useId, useState } from "react";
import { type Secret, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { formatTime } from "../format.js";
import { CreateSecretDialog } from "../secrets/create-secret-dialog.js";
import { DeleteSecretDialog } from "../secrets/delete-secret-dialog.js";
import { UpdateSecretDialog } from "../secrets/update-secret-dialog.js";
import { USAGE_PAGE } from "../secrets/use-secret-usage.js";
import { mayModify, mayWrite, useSession } from "../session.js";
import { DataTable } from "../ui/data-table.js";
import { Dialog } from "../ui/dialog.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { type KeyUsage, useGatewayUsage } from "./use-gateway-usage.js";

type Open = { kind: "create" } | { kind: "update" | "delete" | "endpoints" | "resources"; secret: Secret } | undefined;

/** MLflow's "API keys": the secrets the gateway's model definitions use, with what depends on each. */
export function ApiKeysPage() {
  const id = useId();
  const session = useSession();
  const secrets = useQuery(SecretsService.method.listSecrets, { pageSize: USAGE_PAGE });
  const usage = useGatewayUsage();
  const [search, setSearch] = useState("");
  const [provider, setProvider] = useState("");
  const [open, setOpen] = useState<Open>();
  const close = () => setOpen(undefined);

  if (secrets.isPending || usage.pending) return <Loading what="API keys" />;
  if (secrets.isError || usage.error) return <ErrorNotice error={secrets.error ?? usage.error} doing="Loading API keys" />;
  const all = secrets.data.secrets;
  const providers = [...new Set(all.map((s) => s.provider).filter((p): p is string => !!p))].sort();
  const rows = all.filter((s) => s.secretName.toLowerCase().includes(search.trim().toLowerCase()) && (!provider || s.provider === provider));
  const columns: ColumnDef<Secret, unknown>[] = [
    { id: "name", header: "Key name", accessorFn: (s) => s.secretName },
    { id: "provider", header: "Provider", accessorFn: (s) => s.provider ?? "—" },
    {
      id: "endpoints",
      header: "Endpoints",
      accessorFn: (s) => usage.usageOf(s.secretId).endpoints.length,
      cell: ({ row, getValue }) => (
        <button type="button" className="link" onClick={() => setOpen({ kind: "endpoints", secret: row.original })} aria-label={`${getValue()} endpoint(s) use ${row.original.secretName}`}>
          {getValue() as number}
        </button>
      ),
    },
    {
      id: "usedBy",
      header: "Used by",
      accessorFn: (s) => usage.usageOf(s.secretId).bindings.length,
      cell: ({ row, getValue }) => (
        <button type="button" className="link" onClick={() => setOpen({ kind: "resources", secret: row.original })} aria-label={`${getValue()} resource(s) use ${row.original.secretName}`}>
          {getValue() as number} resource(s)
        </button>
      ),
    },
    { id: "updated", header: "Last updated", accessorFn: (s) => Number(s.lastUpdatedAt), cell: ({ row }) => formatTime(row.original.lastUpdatedAt) },
    { id: "created", header: "Created", accessorFn: (s) => Number(s.createdAt), cell: ({ row }) => formatTime(row.original.createdAt) },
  ];
  if (mayWrite(session)) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) =>
        mayModify(session, row.original) && (
        <div className="actions">
          <button type="button" onClick={() => setOpen({ kind: "update", secret: row.original })} aria-label={`Edit ${row.original.secretName}`}>
            Edit
          </button>
          <button type="button" className="danger" onClick={() => setOpen({ kind: "delete", secret: row.original })} aria-label={`Delete ${row.original.secretName}`}>
            Delete
          </button>
        </div>
        ),
    });
  }
  return (
    <>
      <div className="toolbar">
        <p className="lede">Provider keys for the gateway{providers.length ? `; configured for: ${providers.join(", ")}` : ""}.</p>
        {mayWrite(session) && (
          <button type="button" className="primary" onClick={() => setOpen({ kind: "create" })}>
            Create API key
          </button>
        )}
      </div>
      <div className="filters" role="search" aria-label="Filter API keys">
        <label htmlFor={`${id}-search`}>Search API keys</label>
        <input id={`${id}-search`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label htmlFor={`${id}-provider`}>Provider</label>
        <select id={`${id}-provider`} value={provider} onChange={(e) => setProvider(e.target.value)}>
          <option value="">Any</option>
          {providers.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </div>
      {rows.length === 0 ? (
        <Empty title={all.length ? "No API keys found" : "No API keys created"}>{all.length ? "Change the search or provider." : "Use “Create API key” to add one."}</Empty>
      ) : (
        <DataTable<Secret> caption="API keys" columns={columns} rows={rows} rowKey={(s) => s.secretId} rowHeader="name" />
      )}
      {open?.kind === "create" && <CreateSecretDialog onClose={close} />}
      {open?.kind === "update" && <UpdateSecretDialog secret={open.secret} onClose={close} />}
      {open?.kind === "delete" && <DeleteSecretDialog secret={open.secret} onClose={close} />}
      {(open?.kind === "endpoints" || open?.kind === "resources") && <UsageDrawer kind={open.kind} name={open.secret.secretName} usage={usage.usageOf(open.secret.secretId)} onClose={close} />}
    </>
  );
}

function UsageDrawer({ kind, name, usage, onClose }: { kind: "endpoints" | "resources"; name: string; usage: KeyUsage; onClose: () => void }) {
  const items = kind === "endpoints" ? usage.endpoints.map((e) => ({ key: e.endpointId, text: e.name })) : usage.bindings.map((b) => ({ key: b.bindingId, text: `${b.resourceType}/${b.resourceId} (endpoint ${b.endpointName})` }));
  return (
    <Dialog title={kind === "endpoints" ? `Endpoints using ${name}` : `Resources using ${name}`} onClose={onClose} variant="drawer">
      {items.length === 0 ? (
        <Empty title={kind === "endpoints" ? "No endpoint uses this key" : "No resource uses this key"} />
      ) : (
        <ul>
          {items.map((i) => (
            <li key={i.key}>{i.text}</li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
