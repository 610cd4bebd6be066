import { useState } from "react";
import { GatewayService, type GatewaySecretInfo, type ModelDefinition } from "../../../gen/secrets/v1/gateway_pb.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ConfirmDialog } from "../ui/confirm-dialog.js";
import { Loading } from "../ui/states.js";

interface Props {
  keys: GatewaySecretInfo[];
  modelsOf: (secretId: string) => ModelDefinition[];
  /** The model definitions are still being read: what the keys orphan is not known yet. */
  counting: boolean;
  onClose: () => void;
  onDeleted: (secretIds: string[]) => void;
}

/**
 * Deletes the selected keys one call each (the API has no batch delete),
 * stopping at the first refusal, which stays shown; each deletion is
 * notified, so what went is never in doubt.
 */
export function BulkDeleteKeysDialog({ keys: selected, modelsOf, counting, onClose, onDeleted }: Props) {
  // The selection as the dialog opened: the list behind it refreshes after each deletion.
  const [keys] = useState(selected);
  const [busy, setBusy] = useState(false);
  const remove = useConsoleMutation(GatewayService.method.deleteGatewaySecret, { doing: "Deleting an API key", success: (_r, input) => `Deleted API key ${keys.find((k) => k.secretId === input.secretId)?.secretName}.` });
  const orphaned = keys.flatMap((k) => modelsOf(k.secretId));
  const run = async () => {
    setBusy(true);
    const done: string[] = [];
    try {
      for (const k of keys) {
        await remove.mutateAsync({ secretId: k.secretId });
        done.push(k.secretId);
      }
      onClose();
    } catch {
      // Shown by the dialog (remove.error) and notified; the keys deleted so far are gone from the list.
    } finally {
      onDeleted(done);
      setBusy(false);
    }
  };
  return (
    <ConfirmDialog title={`Delete ${keys.length} API key${keys.length === 1 ? "" : "s"}`} confirmLabel={`Delete ${keys.length} API key${keys.length === 1 ? "" : "s"}`} onConfirm={run} onClose={onClose} pending={busy || counting} error={remove.error} doing="Deleting an API key">
      <p>These keys and every stored version of their values go. This cannot be undone.</p>
      <ul aria-label="Keys to delete">
        {keys.map((k) => {
          const n = modelsOf(k.secretId).length;
          return (
            <li key={k.secretId}>
              <code>{k.secretName}</code> ({k.provider || "no provider"}){!counting && n > 0 ? ` — used by ${n} model definition${n === 1 ? "" : "s"}` : ""}
            </li>
          );
        })}
      </ul>
      {counting ? (
        <Loading what="the model definitions they orphan" />
      ) : orphaned.length > 0 ? (
        <div className="warning" role="note" aria-label="Orphaned model definitions">
          <p>
            {orphaned.length} model definition{orphaned.length === 1 ? " loses its" : "s lose their"} key and need{orphaned.length === 1 ? "s" : ""} another one (Model definitions page): {orphaned.map((m) => m.name).join(", ")}.
          </p>
        </div>
      ) : (
        <p className="help">No model definition uses them.</p>
      )}
    </ConfirmDialog>
  );
}
