import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { useId, useState } from "react";
import { type Provider, type ProviderKey, type ProviderKeyStatus, ProviderService } from "../../../gen/secrets/v1/providers_pb.js";
import { masksLabel } from "../format.js";
import { hasRole, mayWrite, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ConfirmDialog } from "../ui/confirm-dialog.js";
import { DataTable } from "../ui/data-table.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { SetProviderKeyDialog } from "./set-provider-key-dialog.js";
import { useProviderCatalog } from "./use-catalog.js";

interface Row {
  provider: Provider;
  own?: ProviderKey;
  shared?: ProviderKey;
  status?: ProviderKeyStatus;
}

type Open = { kind: "set" | "delete"; provider: Provider; shared: boolean } | undefined;

/** One key per provider for each principal, and a shared one admins set as everyone's fallback: which providers have which. */
export function ProviderKeysPage() {
  const id = useId();
  const session = useSession();
  const catalog = useProviderCatalog();
  const keys = useQuery(ProviderService.method.listProviderKeys, {});
  const status = useQuery(ProviderService.method.getProviderKeyStatus, {});
  const [search, setSearch] = useState("");
  const [onlyConfigured, setOnlyConfigured] = useState(false);
  const [open, setOpen] = useState<Open>();
  const close = () => setOpen(undefined);
  const remove = useConsoleMutation(ProviderService.method.deleteProviderKey, {
    doing: "Removing the provider key",
    success: (_r, input) => `Removed ${input.isShared ? "the shared" : "your"} key for ${input.provider}.`,
    onSuccess: close,
  });

  if (catalog.pending || keys.isPending || status.isPending) return <Loading what="provider keys" />;
  const error = catalog.error ?? keys.error ?? status.error;
  if (error) return <ErrorNotice error={error} doing="Loading provider keys" />;

  // Admins list every principal's keys: "yours" is the signed-in principal's own.
  const own = (p: string) => keys.data!.providerKeys.find((k) => k.provider === p && !k.isShared && k.principal === session.principal);
  const shared = (p: string) => keys.data!.providerKeys.find((k) => k.provider === p && k.isShared);
  const all: Row[] = catalog.providers.map((p) => ({ provider: p, own: own(p.providerId), shared: shared(p.providerId), status: status.data!.providers.find((s) => s.provider === p.providerId) }));
  const configured = all.filter((r) => r.own || r.shared);
  const text = search.trim().toLowerCase();
  const rows = all.filter((r) => (!onlyConfigured || r.own || r.shared) && (!text || r.provider.providerId.includes(text) || r.provider.displayName.toLowerCase().includes(text)));
  const admin = hasRole(session, "admin");

  const columns: ColumnDef<Row, unknown>[] = [
    { id: "provider", header: "Provider", accessorFn: (r) => r.provider.displayName, cell: ({ row }) => `${row.original.provider.displayName} (${row.original.provider.providerId})` },
    { id: "own", header: "Your key", accessorFn: (r) => (r.own ? 1 : 0), cell: ({ row }) => <KeyBadge k={row.original.own} label="Yours" /> },
    { id: "shared", header: "Shared key", accessorFn: (r) => (r.shared ? 1 : 0), cell: ({ row }) => <KeyBadge k={row.original.shared} label="Shared" /> },
    {
      id: "models",
      header: "Your models on it",
      accessorFn: (r) => r.status?.modelsOnOwnKey ?? 0,
      cell: ({ row }) => <ModelsOnKey status={row.original.status} />,
    },
  ];
  if (mayWrite(session)) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => {
        const r = row.original;
        const act = (label: string, kind: "set" | "delete", shared: boolean) => (
          <button type="button" className={kind === "delete" ? "danger" : undefined} onClick={() => setOpen({ kind, provider: r.provider, shared })} aria-label={`${label} for ${r.provider.displayName}`}>
            {label}
          </button>
        );
        return (
          <div className="actions">
            {act(r.own ? "Replace your key" : "Set your key", "set", false)}
            {r.own && act("Remove your key", "delete", false)}
            {admin && act(r.shared ? "Replace the shared key" : "Set the shared key", "set", true)}
            {admin && r.shared && act("Remove the shared key", "delete", true)}
          </div>
        );
      },
    });
  }

  return (
    <>
      <p className="lede">
        A model definition without an API key of its own calls its provider with its creator&apos;s key for that provider, else the provider&apos;s shared key.{" "}
        {configured.length === 0 ? "No provider has a key yet." : `Keys are set for ${configured.length} of ${all.length} providers.`}
      </p>
      <search className="filters" aria-label="Filter providers">
        <label htmlFor={`${id}-search`}>Search providers</label>
        <input id={`${id}-search`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label className="check">
          <input type="checkbox" checked={onlyConfigured} onChange={(e) => setOnlyConfigured(e.target.checked)} /> Only providers with a key
        </label>
      </search>
      {rows.length === 0 ? (
        <Empty title="No provider matches">{onlyConfigured ? "No provider has a key yet: set one from the full list." : "Change the search."}</Empty>
      ) : (
        <DataTable<Row> caption="Provider keys" columns={columns} rows={rows} rowKey={(r) => r.provider.providerId} rowHeader="provider" />
      )}
      {open?.kind === "set" && <SetProviderKeyDialog provider={open.provider} shared={open.shared} onClose={close} />}
      {open?.kind === "delete" && (
        <ConfirmDialog
          title={`Remove ${open.shared ? "the shared" : "your"} key for ${open.provider.displayName}`}
          confirmLabel="Remove key"
          onConfirm={() => remove.mutate({ provider: open.provider.providerId, isShared: open.shared })}
          onClose={close}
          pending={remove.isPending}
          error={remove.error}
          doing="Removing the provider key"
        >
          <p>The key is unset; its secret stays (Secrets page). Model definitions that relied on it fall back to {open.shared ? "their creators' own keys, or none" : "the shared key, if there is one"}.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function KeyBadge({ k, label }: { k: ProviderKey | undefined; label: string }) {
  if (!k) return <span className="badge">No key</span>;
  return (
    <span>
      <span className="badge ok">✓ {label}</span> <code>{k.secretName}</code> <code>{masksLabel(k.maskedValues)}</code>
    </span>
  );
}

function ModelsOnKey({ status }: { status: ProviderKeyStatus | undefined }) {
  if (!status) return "—";
  if (status.modelsWithoutKey > 0) return <span className="badge danger">{status.modelsWithoutKey} without a key</span>;
  return `${status.modelsOnOwnKey + status.modelsOnSharedKey}`;
}
