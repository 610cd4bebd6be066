import { useQuery } from "@connectrpc/connect-query";
import type { ColumnDef } from "@tanstack/react-table";
import { type KekVersionStatus, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { DataTable } from "../ui/data-table.js";
import { ErrorNotice, Loading } from "../ui/states.js";

const columns: ColumnDef<KekVersionStatus, unknown>[] = [
  { id: "version", header: "Version", accessorFn: (v) => v.version },
  { id: "state", header: "State", accessorFn: (v) => v.state, cell: ({ getValue }) => <span className={`badge ${getValue() === "active" ? "ok" : ""}`}>{getValue() as string}</span> },
  { id: "values", header: "Values wrapped", accessorFn: (v) => Number(v.valueCount) },
  { id: "loaded", header: "Loaded here", accessorFn: (v) => (v.loaded ? "yes" : "no") },
  { id: "fingerprint", header: "Fingerprint", accessorFn: (v) => v.fingerprintPrefix, enableSorting: false, cell: ({ getValue }) => <code>{getValue() as string}</code> },
];

/** The key-encryption keys, and how far a rewrap onto the active one has come. */
export function KeysPage() {
  const status = useQuery(SecretsService.method.getKeyringStatus, {});
  if (status.isPending) return <Loading what="key status" />;
  if (status.isError) return <ErrorNotice error={status.error} doing="Loading key status" />;
  const { activeVersion, versions } = status.data;
  const total = versions.reduce((n, v) => n + Number(v.valueCount), 0);
  const onActive = Number(versions.find((v) => v.version === activeVersion)?.valueCount ?? 0n);
  return (
    <>
      <p className="lede">
        Active key-encryption key: <strong>version {activeVersion}</strong>. New values are wrapped under it; older ones stay under their own version until rewrapped
        (<code>secretsctl rewrap</code>).
      </p>
      <label htmlFor="rewrap-progress">
        Values under the active version: {onActive} of {total}
      </label>
      <progress id="rewrap-progress" max={Math.max(total, 1)} value={onActive} />
      <DataTable<KekVersionStatus> caption="Key-encryption key versions" columns={columns} rows={versions} rowKey={(v) => String(v.version)} rowHeader="version" />
    </>
  );
}
