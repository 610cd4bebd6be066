import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { type FormEvent, useId, useState } from "react";
import { type ResourceGrant, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { formatTime, resourceLabel } from "../format.js";
import { hasRole, mayWrite, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ConfirmDialog } from "../ui/confirm-dialog.js";
import { DataTable } from "../ui/data-table.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";

interface Resource {
  resourceType: string;
  resourceId: string;
}

/**
 * Who owns a resource and whom the owner let bind to it. Its owner and
 * admins (anyone, while nobody owns it) grant and revoke; only admins
 * transfer it. What the signed-in principal may not do is not offered.
 */
export function ResourceAccessPanel({ resource }: { resource: Resource }) {
  const session = useSession();
  const label = resourceLabel(resource);
  const access = useQuery(SecretsService.method.getResourceAccess, resource);
  const [revoking, setRevoking] = useState<string>();
  const revoke = useConsoleMutation(SecretsService.method.revokeResourceAccess, { doing: "Revoking access", success: (_r, input) => `Revoked ${input.principal}'s access to ${label}.`, onSuccess: () => setRevoking(undefined) });

  if (access.isPending) return <Loading what={`access to ${label}`} />;
  if (access.isError) return <ErrorNotice error={access.error} doing={`Loading access to ${label}`} />;
  const a = access.data.resourceAccess!;
  const governs = mayWrite(session) && (a.owner === "" || a.owner === session.principal || hasRole(session, "admin"));
  const columns: ColumnDef<ResourceGrant, unknown>[] = [
    { id: "principal", header: "Principal", accessorFn: (g) => g.principal },
    { id: "by", header: "Granted by", accessorFn: (g) => g.grantedBy },
    { id: "at", header: "Granted at", accessorFn: (g) => Number(g.grantedAt), cell: ({ row }) => formatTime(row.original.grantedAt) },
  ];
  if (governs) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => (
        <button type="button" className="danger" onClick={() => setRevoking(row.original.principal)} aria-label={`Revoke ${row.original.principal}'s access`}>
          Revoke
        </button>
      ),
    });
  }
  return (
    <section className="card" aria-labelledby="access-title">
      <h2 id="access-title">Access to {label}</h2>
      <p>
        {a.owner ? (
          <>
            Owned by <strong>{a.owner}</strong> since {formatTime(a.createdAt)}; last changed by {a.lastUpdatedBy || "—"} at {formatTime(a.lastUpdatedAt)}.
          </>
        ) : (
          "Nobody owns it yet: the first principal to bind to it (or to grant access to it) becomes its owner."
        )}
      </p>
      {a.grants.length === 0 ? (
        <Empty title="No grants">Only its owner and admins may bind to it.</Empty>
      ) : (
        <DataTable<ResourceGrant> caption={`Grants on ${label}`} columns={columns} rows={a.grants} rowKey={(g) => g.principal} rowHeader="principal" />
      )}
      {governs && <PrincipalForm resource={resource} kind="grant" />}
      {mayWrite(session) && hasRole(session, "admin") && <PrincipalForm resource={resource} kind="transfer" />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking}'s access`}
          confirmLabel="Revoke access"
          onConfirm={() => revoke.mutate({ ...resource, principal: revoking })}
          onClose={() => setRevoking(undefined)}
          pending={revoke.isPending}
          error={revoke.error}
          doing="Revoking access"
        >
          <p>
            {revoking} may no longer bind to, unbind from or list <code>{label}</code>. The bindings {revoking} made stay.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Grant access to a principal, or (admins) transfer the resource to one, which is asked once more. */
function PrincipalForm({ resource, kind }: { resource: Resource; kind: "grant" | "transfer" }) {
  const id = useId();
  const label = resourceLabel(resource);
  const [principal, setPrincipal] = useState("");
  const [confirming, setConfirming] = useState(false);
  const done = () => {
    setPrincipal("");
    setConfirming(false);
  };
  const grant = useConsoleMutation(SecretsService.method.grantResourceAccess, { doing: "Granting access", success: (_r, input) => `Granted ${input.principal} access to ${label}.`, onSuccess: done });
  const transfer = useConsoleMutation(SecretsService.method.transferResourceOwnership, { doing: "Transferring the resource", success: (_r, input) => `Transferred ${label} to ${input.newOwner}.`, onSuccess: done });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (kind === "grant") grant.mutate({ ...resource, principal: principal.trim() });
    else setConfirming(true);
  };
  const mutation = kind === "grant" ? grant : transfer;
  const text = kind === "grant" ? { title: "Grant access", field: "Principal to let in", button: "Grant" } : { title: "Transfer ownership", field: "New owner", button: "Transfer…" };
  return (
    <form onSubmit={submit} className="row" aria-label={text.title}>
      <label htmlFor={`${id}-principal`}>{text.field}</label>
      <input id={`${id}-principal`} value={principal} onChange={(e) => setPrincipal(e.target.value)} required autoComplete="off" />
      <button type="submit" disabled={mutation.isPending}>
        {text.button}
      </button>
      {kind === "grant" && grant.error && <ErrorNotice error={grant.error} doing="Granting access" />}
      {confirming && (
        <ConfirmDialog
          title={`Transfer ${label}`}
          confirmLabel={`Transfer to ${principal.trim()}`}
          onConfirm={() => transfer.mutate({ ...resource, newOwner: principal.trim() })}
          onClose={() => setConfirming(false)}
          pending={transfer.isPending}
          error={transfer.error}
          doing="Transferring the resource"
        >
          <p>
            {principal.trim()} becomes the owner of <code>{label}</code>: it decides who may bind there. The grants stay.
          </p>
        </ConfirmDialog>
      )}
    </form>
  );
}
