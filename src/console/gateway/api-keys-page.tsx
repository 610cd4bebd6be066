import type { ColumnDef, RowSelectionState, VisibilityState } from "@tanstack/react-table";
import { useId, useState } from "react";
import { GatewayService, type GatewaySecretInfo } from "../../../gen/secrets/v1/gateway_pb.js";
import { formatTime, masksLabel } from "../format.js";
import { DeleteSecretDialog } from "../secrets/delete-secret-dialog.js";
import { mayModify, mayWrite, useSession } from "../session.js";
import { ColumnChooser } from "../ui/column-chooser.js";
import { DataTable } from "../ui/data-table.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { useAllPages } from "../ui/use-all-pages.js";
import { CreateApiKeyDialog, EditApiKeyDialog } from "./api-key-dialogs.js";
import { ApiKeyDrawer } from "./api-key-drawer.js";
import { BulkDeleteKeysDialog } from "./bulk-delete-keys-dialog.js";
import { KeyUsageDrawer } from "./key-usage-tables.js";
import { useGatewayUsage } from "./use-gateway-usage.js";

type Open = { kind: "create" | "bulk-delete" } | { kind: "edit" | "delete" | "endpoints" | "resources"; secret: GatewaySecretInfo } | undefined;

/**
 * A count cell: "Counting…" until every page of the lists it joins is in,
 * never a count of part of them (one status above the table announces it,
 * not one per row).
 */
function CountButton({ pending, count, text, label, onClick }: { pending: boolean; count: number; text: string; label: string; onClick: () => void }) {
  if (pending) {
    return (
      <span className="counting">
        <span className="spinner" aria-hidden="true" /> Counting…
      </span>
    );
  }
  return (
    <button type="button" className="link" onClick={onClick} aria-label={`${count} ${text} use ${label}`}>
      {text === "endpoint(s)" ? count : `${count} ${text}`}
    </button>
  );
}

/** MLflow's "API keys": the gateway's view of secrets, with what depends on each. */
export function ApiKeysPage() {
  const id = useId();
  const session = useSession();
  // Every key (search, filter and sort are over all of them, as in MLflow), and what uses each.
  const keys = useAllPages(GatewayService.method.listGatewaySecretInfos, {}, (p) => p.secrets);
  const usage = useGatewayUsage();
  // The drawer's key by id, so it shows the key as last read (after an edit) and goes when the key does.
  const [drawerId, setDrawerId] = useState<string>();
  const [search, setSearch] = useState("");
  const [provider, setProvider] = useState("");
  const [visibility, setVisibility] = useState<VisibilityState>({ created: false });
  const [selected, setSelected] = useState<RowSelectionState>({});
  const [open, setOpen] = useState<Open>();
  const close = () => setOpen(undefined);

  if (keys.error || usage.error) return <ErrorNotice error={keys.error ?? usage.error} doing="Loading API keys" />;
  if (!keys.complete) return <Loading what="API keys" />;
  const all = keys.items;
  const drawer = all.find((s) => s.secretId === drawerId);
  const providers = [...new Set(all.map((s) => s.provider).filter(Boolean))].sort();
  const rows = all.filter((s) => s.secretName.toLowerCase().includes(search.trim().toLowerCase()) && (!provider || s.provider === provider));
  const chosen = rows.filter((s) => selected[s.secretId]);
  const columns: ColumnDef<GatewaySecretInfo, unknown>[] = [
    {
      id: "name",
      header: "Key name",
      accessorFn: (s) => s.secretName,
      cell: ({ row }) => (
        <button type="button" className="link" onClick={() => setDrawerId(row.original.secretId)} aria-label={`Details of ${row.original.secretName}`}>
          {row.original.secretName}
        </button>
      ),
    },
    { id: "provider", header: "Provider", accessorFn: (s) => s.provider || "—" },
    { id: "masked", header: "Masked value", enableSorting: false, accessorFn: (s) => masksLabel(s.maskedValues), cell: ({ getValue }) => <code>{getValue() as string}</code> },
    {
      id: "endpoints",
      header: "Endpoints",
      accessorFn: (s) => usage.usageOf(s.secretId).endpoints.length,
      cell: ({ row, getValue }) => (
        <CountButton pending={usage.pending} count={getValue() as number} text="endpoint(s)" label={row.original.secretName} onClick={() => setOpen({ kind: "endpoints", secret: row.original })} />
      ),
    },
    {
      id: "usedBy",
      header: "Used by",
      accessorFn: (s) => usage.usageOf(s.secretId).bindings.length,
      cell: ({ row, getValue }) => (
        <CountButton pending={usage.pending} count={getValue() as number} text="resource(s)" label={row.original.secretName} onClick={() => setOpen({ kind: "resources", secret: row.original })} />
      ),
    },
    { id: "updated", header: "Last updated", accessorFn: (s) => Number(s.lastUpdatedAt), cell: ({ row }) => formatTime(row.original.lastUpdatedAt) },
    { id: "created", header: "Created", accessorFn: (s) => Number(s.createdAt), cell: ({ row }) => `${formatTime(row.original.createdAt)} by ${row.original.createdBy}` },
  ];
  if (mayWrite(session)) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) =>
        mayModify(session, row.original) && (
          <div className="actions">
            <button type="button" onClick={() => setOpen({ kind: "edit", secret: row.original })} aria-label={`Edit ${row.original.secretName}`}>
              Edit
            </button>
            <button type="button" className="danger" onClick={() => setOpen({ kind: "delete", secret: row.original })} aria-label={`Delete ${row.original.secretName}`}>
              Delete
            </button>
          </div>
        ),
    });
  }
  const choosable = columns.filter((c) => c.id !== "name" && c.id !== "actions").map((c) => ({ id: c.id!, label: String(c.header) }));
  return (
    <>
      <div className="toolbar">
        <p className="lede">The keys the gateway&apos;s model definitions call their providers with, and what depends on each.</p>
        {mayWrite(session) && (
          <button type="button" className="primary" onClick={() => setOpen({ kind: "create" })}>
            Create API key
          </button>
        )}
      </div>
      <search className="filters" aria-label="Filter API keys">
        <label htmlFor={`${id}-search`}>Search API keys</label>
        <input id={`${id}-search`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label htmlFor={`${id}-provider`}>Provider</label>
        <select id={`${id}-provider`} value={provider} onChange={(e) => setProvider(e.target.value)}>
          <option value="">Any</option>
          {providers.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <ColumnChooser columns={choosable} visibility={visibility} onChange={setVisibility} />
        {mayWrite(session) && (
          <button type="button" className="danger" disabled={chosen.length === 0} onClick={() => setOpen({ kind: "bulk-delete" })}>
            Delete selected ({chosen.length})
          </button>
        )}
      </search>
      {usage.pending && <Loading what="the endpoints and resources using each key" />}
      {rows.length === 0 ? (
        <Empty title={all.length ? "No API keys found" : "No API keys created"}>{all.length ? "Change the search or provider." : "Use “Create API key” to add one."}</Empty>
      ) : (
        <DataTable<GatewaySecretInfo>
          caption="API keys"
          columns={columns}
          rows={rows}
          rowKey={(s) => s.secretId}
          rowHeader="name"
          columnVisibility={visibility}
          selection={mayWrite(session) ? { selected, onChange: setSelected, canSelect: (s) => mayModify(session, s), label: (s) => s.secretName } : undefined}
        />
      )}
      {drawer && (
        <ApiKeyDrawer
          secret={drawer}
          usage={usage}
          onEdit={mayModify(session, drawer) ? () => setOpen({ kind: "edit", secret: drawer }) : undefined}
          onDelete={mayModify(session, drawer) ? () => setOpen({ kind: "delete", secret: drawer }) : undefined}
          onClose={() => setDrawerId(undefined)}
        />
      )}
      {open?.kind === "create" && <CreateApiKeyDialog onClose={close} />}
      {open?.kind === "edit" && <EditApiKeyDialog secret={open.secret} onClose={close} />}
      {open?.kind === "delete" && <DeleteSecretDialog secret={open.secret} onClose={close} />}
      {open?.kind === "bulk-delete" && (
        <BulkDeleteKeysDialog
          keys={chosen}
          modelsOf={(secretId) => usage.models.filter((m) => m.secretId === secretId)}
          counting={usage.pending}
          onClose={close}
          onDeleted={(ids) => setSelected((s) => Object.fromEntries(Object.entries(s).filter(([k]) => !ids.includes(k))))}
        />
      )}
      {(open?.kind === "endpoints" || open?.kind === "resources") && <KeyUsageDrawer kind={open.kind} keyName={open.secret.secretName} usage={usage.usageOf(open.secret.secretId)} onClose={close} />}
    </>
  );
}
