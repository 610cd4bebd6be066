import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { useId, useState } from "react";
import { type ApiToken, TokenService } from "../../../gen/secrets/v1/tokens_pb.js";
import { formatTime } from "../format.js";
import { hasRole, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ConfirmDialog } from "../ui/confirm-dialog.js";
import { DataTable } from "../ui/data-table.js";
import { Pager } from "../ui/pager.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { usePageTokens } from "../ui/use-page-tokens.js";
import { CreateTokenDialog } from "./create-token-dialog.js";
import { TokenShownOnceDialog } from "./token-shown-once-dialog.js";

function stateOf(t: ApiToken, now: number): "Live" | "Revoked" | "Expired" {
  if (t.revokedAt !== 0n) return "Revoked";
  return t.expiresAt !== 0n && Number(t.expiresAt) <= now ? "Expired" : "Live";
}

type Open = { kind: "create" } | { kind: "created"; token: string; name: string } | { kind: "revoke"; token: ApiToken } | undefined;

/** API tokens: every token for admins, the caller's own for anyone else (the service cuts the list). Only admins issue tokens. */
export function TokensPage() {
  const id = useId();
  const session = useSession();
  const admin = hasRole(session, "admin");
  const [includeInactive, setIncludeInactive] = useState(false);
  const [principal, setPrincipal] = useState("");
  const filter = { includeInactive, name: (admin && principal.trim()) || undefined };
  const paging = usePageTokens(JSON.stringify(filter));
  const tokens = useQuery(TokenService.method.listApiTokens, { ...filter, pageSize: 50, pageToken: paging.pageToken });
  const [open, setOpen] = useState<Open>();
  const close = () => setOpen(undefined);
  const revoke = useConsoleMutation(TokenService.method.revokeApiToken, { doing: "Revoking the token", success: (r) => `Revoked the token of ${r.apiToken?.name}.`, onSuccess: close });
  const now = Date.now();

  const columns: ColumnDef<ApiToken, unknown>[] = [
    { id: "name", header: "Principal", accessorFn: (t) => t.name },
    { id: "role", header: "Role", accessorFn: (t) => t.roles.join(", ") },
    { id: "description", header: "Description", accessorFn: (t) => t.description || "—" },
    { id: "state", header: "State", accessorFn: (t) => stateOf(t, now), cell: ({ getValue }) => <span className={`badge ${getValue() === "Live" ? "ok" : "danger"}`}>{getValue() as string}</span> },
    { id: "created", header: "Created", accessorFn: (t) => Number(t.createdAt), cell: ({ row }) => `${formatTime(row.original.createdAt)} by ${row.original.createdBy}` },
    { id: "expires", header: "Expires", accessorFn: (t) => Number(t.expiresAt), cell: ({ row }) => (row.original.expiresAt === 0n ? "Never" : formatTime(row.original.expiresAt)) },
    { id: "used", header: "Last used", accessorFn: (t) => Number(t.lastUsedAt), cell: ({ row }) => formatTime(row.original.lastUsedAt) },
    {
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) =>
        stateOf(row.original, now) === "Live" && (
          <button type="button" className="danger" onClick={() => setOpen({ kind: "revoke", token: row.original })} aria-label={`Revoke the token of ${row.original.name} (${row.original.tokenId})`}>
            Revoke
          </button>
        ),
    },
  ];

  return (
    <>
      <div className="toolbar">
        <p className="lede">{admin ? "Every API token of the service. A token's text is shown once, when it is issued; only its hash is kept." : "Your API tokens. Ask an admin for a new one."}</p>
        {admin && (
          <button type="button" className="primary" onClick={() => setOpen({ kind: "create" })}>
            Create token
          </button>
        )}
      </div>
      <search className="filters" aria-label="Filter tokens">
        {admin && (
          <>
            <label htmlFor={`${id}-principal`}>Principal</label>
            <input id={`${id}-principal`} type="search" value={principal} onChange={(e) => setPrincipal(e.target.value)} placeholder="any" />
          </>
        )}
        <label className="check">
          <input type="checkbox" checked={includeInactive} onChange={(e) => setIncludeInactive(e.target.checked)} /> Include revoked and expired tokens
        </label>
      </search>
      {tokens.isPending ? (
        <Loading what="tokens" />
      ) : tokens.isError ? (
        <ErrorNotice error={tokens.error} doing="Loading tokens" />
      ) : tokens.data.apiTokens.length === 0 ? (
        <Empty title="No tokens to show">{includeInactive ? "Nothing matches." : "Include revoked and expired tokens to see those."}</Empty>
      ) : (
        <>
          <DataTable<ApiToken> caption="API tokens" columns={columns} rows={tokens.data.apiTokens} rowKey={(t) => t.tokenId} rowHeader="name" />
          <Pager label="Tokens" paging={paging} nextPageToken={tokens.data.nextPageToken} shown={tokens.data.apiTokens.length} />
        </>
      )}
      {open?.kind === "create" && <CreateTokenDialog onClose={close} onCreated={(token, name) => setOpen({ kind: "created", token, name })} />}
      {open?.kind === "created" && <TokenShownOnceDialog token={open.token} name={open.name} onClose={close} />}
      {open?.kind === "revoke" && (
        <ConfirmDialog
          title={`Revoke the token of ${open.token.name}`}
          confirmLabel="Revoke token"
          onConfirm={() => revoke.mutate({ tokenId: open.token.tokenId })}
          onClose={close}
          pending={revoke.isPending}
          error={revoke.error}
          doing="Revoking the token"
        >
          <p>
            Calls made with token <code>{open.token.tokenId}</code> ({open.token.roles.join(", ")}) are refused from now on, on every replica within the token cache&apos;s lifetime. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
