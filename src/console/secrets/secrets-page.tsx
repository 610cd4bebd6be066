import { useQuery } from "@connectrpc/connect-query";
import { useState } from "react";
import { type Secret, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { mayModify, mayWrite, useSession } from "../session.js";
import { Pager } from "../ui/pager.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { usePageTokens } from "../ui/use-page-tokens.js";
import { DataTable } from "../ui/data-table.js";
import { CreateSecretDialog } from "./create-secret-dialog.js";
import { DeleteSecretDialog } from "./delete-secret-dialog.js";
import { SecretDrawer } from "./secret-drawer.js";
import { type SecretFilters, SecretFiltersBar, matchesFilters } from "./secret-filters.js";
import { type SecretAction, secretColumns } from "./secret-columns.js";
import { UpdateSecretDialog } from "./update-secret-dialog.js";

type Open = { action: SecretAction; secretId: string } | { action: "create" } | undefined;

export function SecretsPage() {
  const session = useSession();
  const [filters, setFilters] = useState<SecretFilters>({ text: "", provider: "", scope: "", state: "" });
  const [pageSize, setPageSize] = useState(25);
  const serverFilters = { provider: filters.provider.trim() || undefined, isShared: filters.scope === "" ? undefined : filters.scope === "shared" };
  const paging = usePageTokens(JSON.stringify({ ...serverFilters, pageSize }));
  const list = useQuery(SecretsService.method.listSecrets, { ...serverFilters, pageSize, pageToken: paging.pageToken });
  const [open, setOpen] = useState<Open>();
  const close = () => setOpen(undefined);

  const rows = (list.data?.secrets ?? []).filter((s) => matchesFilters(s, filters));
  const columns = secretColumns({ canModify: (s) => mayModify(session, s), onAction: (action, secret) => setOpen({ action, secretId: secret.secretId }) });
  const current = open && open.action !== "create" ? list.data?.secrets.find((s) => s.secretId === open.secretId) : undefined;

  return (
    <>
      <div className="toolbar">
        <p className="lede">Credentials stored encrypted; only masked values are ever shown.</p>
        {mayWrite(session) && (
          <button type="button" className="primary" onClick={() => setOpen({ action: "create" })}>
            Create secret
          </button>
        )}
      </div>
      <SecretFiltersBar filters={filters} onChange={setFilters} pageSize={pageSize} onPageSizeChange={setPageSize} />
      {list.isPending ? (
        <Loading what="secrets" />
      ) : list.isError ? (
        <ErrorNotice error={list.error} doing="Loading secrets" />
      ) : rows.length === 0 ? (
        <NoSecrets filtered={list.data.secrets.length > 0 || Object.values(filters).some(Boolean)} />
      ) : (
        <DataTable<Secret> caption="Secrets" columns={columns} rows={rows} rowKey={(s) => s.secretId} rowHeader="name" />
      )}
      {list.data && <Pager label="Secrets" paging={paging} nextPageToken={list.data.nextPageToken} shown={rows.length} />}
      {open?.action === "create" && <CreateSecretDialog onClose={close} />}
      {current && open?.action === "update" && <UpdateSecretDialog secret={current} onClose={close} />}
      {current && open?.action === "delete" && <DeleteSecretDialog secret={current} onClose={close} />}
      {current && open?.action === "details" && <SecretDrawer secret={current} onClose={close} />}
    </>
  );
}

function NoSecrets({ filtered }: { filtered: boolean }) {
  return filtered ? (
    <Empty title="No secrets match these filters">Change or clear the filters to see more.</Empty>
  ) : (
    <Empty title="No secrets yet">Use “Create secret” to store a provider key; it is encrypted at rest and only its mask is shown.</Empty>
  );
}
