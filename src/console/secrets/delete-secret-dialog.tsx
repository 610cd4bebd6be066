import { useId, useState } from "react";
import { type Secret, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { ErrorNotice, Loading } from "../ui/states.js";
import { BoundResources } from "./bound-resources.js";
import { useSecretModelDefinitions } from "./use-secret-usage.js";

/** Deleting cannot be undone: the button waits for the exact name, and the dialog says what goes with the secret. */
export function DeleteSecretDialog({ secret, onClose }: { secret: Pick<Secret, "secretId" | "secretName">; onClose: () => void }) {
  const id = useId();
  const [typed, setTyped] = useState("");
  const remove = useConsoleMutation(SecretsService.method.deleteSecret, { doing: `Deleting ${secret.secretName}`, success: () => `Deleted secret ${secret.secretName}.`, onSuccess: onClose });
  return (
    <Dialog title={`Delete ${secret.secretName}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === secret.secretName) remove.mutate({ secretId: secret.secretId });
        }}
      >
        <p>Deleting removes every stored version of the value. This cannot be undone.</p>
        <BoundResources secretId={secret.secretId} consequence="these bindings are deleted with it." />
        <OrphanedModels secretId={secret.secretId} />
        <label htmlFor={`${id}-confirm`}>
          Type <strong>{secret.secretName}</strong> to confirm
        </label>
        <input id={`${id}-confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
        {remove.error && <ErrorNotice error={remove.error} doing={`Deleting ${secret.secretName}`} />}
        <DialogButtons onCancel={onClose} submit="Delete secret" disabled={typed !== secret.secretName || remove.isPending} danger />
      </form>
    </Dialog>
  );
}

function OrphanedModels({ secretId }: { secretId: string }) {
  const models = useSecretModelDefinitions(secretId);
  if (models.error) return <ErrorNotice error={models.error} doing="Loading model definitions" />;
  if (!models.complete) return <Loading what="model definitions" />;
  const list = models.items;
  if (list.length === 0) return <p className="help">No gateway model definition uses it.</p>;
  return (
    <div className="warning" role="note" aria-label="Model definitions">
      <p>
        Used by {list.length} gateway model definition{list.length === 1 ? "" : "s"}; they lose their key and need another one (Model definitions page):
      </p>
      <ul>
        {list.map((m) => (
          <li key={m.modelDefinitionId}>
            <code>{m.name}</code> ({m.provider}/{m.modelName})
          </li>
        ))}
      </ul>
    </div>
  );
}
