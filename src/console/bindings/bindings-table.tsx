import type { ColumnDef } from "@tanstack/react-table";
import { type SecretBinding, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { formatTime, resourceLabel } from "../format.js";
import { mayWrite, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { DataTable } from "../ui/data-table.js";
import { Empty } from "../ui/states.js";

interface Props {
  bindings: SecretBinding[];
  secretNames: ReadonlyMap<string, string>;
  emptyText: string;
}

export function BindingsTable({ bindings, secretNames, emptyText }: Props) {
  const session = useSession();
  const unbind = useConsoleMutation(SecretsService.method.unbindSecret, { doing: "Unbinding", success: () => "Removed the binding." });
  if (bindings.length === 0) return <Empty title={emptyText} />;
  const columns: ColumnDef<SecretBinding, unknown>[] = [
    { id: "resource", header: "Resource", accessorFn: resourceLabel, cell: ({ getValue }) => <code>{getValue() as string}</code> },
    { id: "field", header: "Field name", accessorFn: (b) => b.fieldName },
    { id: "secret", header: "Secret", accessorFn: (b) => secretNames.get(b.secretId) ?? b.secretId },
    { id: "createdBy", header: "Bound by", accessorFn: (b) => b.createdBy },
    { id: "createdAt", header: "Bound at", accessorFn: (b) => Number(b.createdAt), cell: ({ row }) => formatTime(row.original.createdAt) },
  ];
  if (mayWrite(session)) {
    columns.push({
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => (
        <button type="button" onClick={() => unbind.mutate({ bindingId: row.original.bindingId })} disabled={unbind.isPending} aria-label={`Unbind ${resourceLabel(row.original)} ${row.original.fieldName}`}>
          Unbind
        </button>
      ),
    });
  }
  return <DataTable caption="Bindings" columns={columns} rows={bindings} rowKey={(b) => b.bindingId} rowHeader="resource" />;
}
