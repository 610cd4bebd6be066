import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { type FormEvent, useId, useState } from "react";
import { GatewayService, type ModelDefinition } from "../../../gen/secrets/v1/gateway_pb.js";
import { formatTime } from "../format.js";
import { ModelInput, ProviderSelect } from "../providers/provider-select.js";
import { useProviderCatalog } from "../providers/use-catalog.js";
import { useAllSecrets } from "../secrets/use-secret-usage.js";
import { mayWrite, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ConfirmDialog } from "../ui/confirm-dialog.js";
import { DataTable } from "../ui/data-table.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { Pager } from "../ui/pager.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";
import { usePageTokens } from "../ui/use-page-tokens.js";

export function ModelDefinitionsPage() {
  const session = useSession();
  const paging = usePageTokens("");
  const models = useQuery(GatewayService.method.listModelDefinitions, { pageSize: 50, pageToken: paging.pageToken });
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ModelDefinition>();
  const remove = useConsoleMutation(GatewayService.method.deleteModelDefinition, { doing: "Deleting the model definition", success: () => "Deleted the model definition.", onSuccess: () => setDeleting(undefined) });
  const columns: ColumnDef<ModelDefinition, unknown>[] = [
    { id: "name", header: "Name", accessorFn: (m) => m.name },
    { id: "provider", header: "Provider", accessorFn: (m) => m.provider },
    { id: "model", header: "Model", accessorFn: (m) => m.modelName },
    { id: "key", header: "API key", accessorFn: (m) => m.secretName || "— (key deleted)" },
    { id: "updated", header: "Last updated", accessorFn: (m) => Number(m.lastUpdatedAt), cell: ({ row }) => formatTime(row.original.lastUpdatedAt) },
  ];
  if (mayWrite(session)) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => (
        <button type="button" className="danger" onClick={() => setDeleting(row.original)} aria-label={`Delete ${row.original.name}`}>
          Delete
        </button>
      ),
    });
  }
  return (
    <>
      <div className="toolbar">
        <p className="lede">A model definition names a provider&apos;s model and the API key it is called with; endpoints route to them.</p>
        {mayWrite(session) && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Create model definition
          </button>
        )}
      </div>
      {models.isPending ? (
        <Loading what="model definitions" />
      ) : models.isError ? (
        <ErrorNotice error={models.error} doing="Loading model definitions" />
      ) : models.data.modelDefinitions.length === 0 ? (
        <Empty title="No model definitions yet">Create one from an API key, then route an endpoint to it.</Empty>
      ) : (
        <>
          <DataTable<ModelDefinition> caption="Model definitions" columns={columns} rows={models.data.modelDefinitions} rowKey={(m) => m.modelDefinitionId} rowHeader="name" />
          <Pager label="Model definitions" paging={paging} nextPageToken={models.data.nextPageToken} shown={models.data.modelDefinitions.length} />
        </>
      )}
      {creating && <CreateModelDefinitionDialog onClose={() => setCreating(false)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete model definition ${deleting.name}`}
          confirmLabel="Delete model definition"
          onConfirm={() => remove.mutate({ modelDefinitionId: deleting.modelDefinitionId })}
          onClose={() => setDeleting(undefined)}
          pending={remove.isPending}
          error={remove.error}
          doing="Deleting the model definition"
        >
          <p>Its API key stays. The service refuses while an endpoint routes to it: detach it from those endpoints first.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateModelDefinitionDialog({ onClose }: { onClose: () => void }) {
  const id = useId();
  const secrets = useAllSecrets();
  const catalog = useProviderCatalog();
  const [secretId, setSecretId] = useState("");
  const [provider, setProvider] = useState("");
  const key = secrets.items.find((s) => s.secretId === secretId);
  const chooseKey = (id: string) => {
    setSecretId(id);
    setProvider(secrets.items.find((s) => s.secretId === id)?.provider ?? "");
  };
  const create = useConsoleMutation(GatewayService.method.createModelDefinition, { doing: "Creating the model definition", success: (r) => `Created model definition ${r.modelDefinition?.name}.`, onSuccess: onClose });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    create.mutate({ name: String(data.get("name")).trim(), secretId, provider: provider.trim(), modelName: String(data.get("model")).trim() });
  };
  return (
    <Dialog title="Create model definition" onClose={onClose}>
      <form onSubmit={submit}>
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} name="name" required />
        <label htmlFor={`${id}-key`}>API key</label>
        <select id={`${id}-key`} value={secretId} onChange={(e) => chooseKey(e.target.value)} required>
          <option value="">{!secrets.complete ? "Loading keys…" : "Choose a key"}</option>
          {secrets.items.map((s) => (
            <option key={s.secretId} value={s.secretId}>
              {s.secretName} {s.provider ? `(${s.provider})` : ""}
            </option>
          ))}
        </select>
        <ProviderSelect value={provider} onChange={setProvider} allowOther />
        <ModelInput key={key?.secretId} provider={catalog.find(provider)} name="model" defaultValue={key?.model ?? ""} required />
        {create.error && <ErrorNotice error={create.error} doing="Creating the model definition" />}
        <DialogButtons onCancel={onClose} submit="Create" disabled={create.isPending} />
      </form>
    </Dialog>
  );
}
