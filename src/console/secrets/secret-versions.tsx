import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { type SecretVersion, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { formatTime } from "../format.js";
import { DataTable } from "../ui/data-table.js";
import { Empty, ErrorNotice, Loading } from "../ui/states.js";

const columns: ColumnDef<SecretVersion, unknown>[] = [
  { id: "version", header: "Version", accessorFn: (v) => v.version },
  { id: "createdAt", header: "Created", accessorFn: (v) => Number(v.createdAt), cell: ({ row }) => formatTime(row.original.createdAt) },
  { id: "createdBy", header: "Created by", accessorFn: (v) => v.createdBy },
  { id: "kek", header: "KEK version", accessorFn: (v) => v.kekVersion },
];

/** The stored versions of a secret's value: who wrote each and under which key-encryption key; the API has no field for a value. */
export function SecretVersions({ secretId }: { secretId: string }) {
  const versions = useQuery(SecretsService.method.listSecretVersions, { secretId });
  if (versions.isPending) return <Loading what="value versions" />;
  if (versions.isError) return <ErrorNotice error={versions.error} doing="Loading value versions" />;
  if (versions.data.versions.length === 0) return <Empty title="No stored versions" />;
  return <DataTable<SecretVersion> caption="Value versions" columns={columns} rows={versions.data.versions} rowKey={(v) => String(v.version)} rowHeader="version" />;
}
