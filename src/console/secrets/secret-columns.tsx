import type { ColumnDef } from "@tanstack/react-table";
import { type Secret, SecretState } from "../../../gen/secrets/v1/service_pb.js";
import { formatTime, masksLabel, scopeLabel, stateLabel } from "../format.js";

export type SecretAction = "details" | "update" | "delete";

export function maskOf(s: Secret): string {
  return s.maskedValue || masksLabel(s.maskedFields);
}

export function secretColumns({ canModify, onAction }: { canModify: (s: Secret) => boolean; onAction: (a: SecretAction, s: Secret) => void }): ColumnDef<Secret, unknown>[] {
  return [
    {
      id: "name",
      header: "Name",
      accessorFn: (s) => s.secretName,
      cell: ({ row }) => (
        <button type="button" className="link" onClick={() => onAction("details", row.original)}>
          {row.original.secretName}
        </button>
      ),
    },
    { id: "provider", header: "Provider", accessorFn: (s) => s.provider ?? "", cell: ({ getValue }) => (getValue() as string) || "—" },
    { id: "model", header: "Model", accessorFn: (s) => s.model ?? "", cell: ({ getValue }) => (getValue() as string) || "—" },
    { id: "masked", header: "Masked value", accessorFn: maskOf, enableSorting: false, cell: ({ getValue }) => <code>{getValue() as string}</code> },
    { id: "scope", header: "Scope", accessorFn: (s) => scopeLabel(s.isShared) },
    { id: "bindings", header: "Bindings", accessorFn: (s) => s.bindingCount },
    {
      id: "state",
      header: "State",
      accessorFn: (s) => stateLabel(s.state),
      cell: ({ row }) => <span className={`badge ${row.original.state === SecretState.REVOKED ? "danger" : "ok"}`}>{stateLabel(row.original.state)}</span>,
    },
    { id: "updated", header: "Last updated", accessorFn: (s) => Number(s.lastUpdatedAt), cell: ({ row }) => formatTime(row.original.lastUpdatedAt) },
    { id: "updatedBy", header: "Updated by", accessorFn: (s) => s.lastUpdatedBy },
    {
      id: "actions",
      header: "Actions",
      enableSorting: false,
      cell: ({ row }) => {
        const s = row.original;
        return (
          <div className="actions">
            <button type="button" onClick={() => onAction("details", s)} aria-label={`Details of ${s.secretName}`}>
              Details
            </button>
            {canModify(s) && (
              <>
                <button type="button" onClick={() => onAction("update", s)} aria-label={`Update ${s.secretName}`}>
                  Update
                </button>
                <button type="button" className="danger" onClick={() => onAction("delete", s)} aria-label={`Delete ${s.secretName}`}>
                  Delete
                </button>
              </>
            )}
          </div>
        );
      },
    },
  ];
}
