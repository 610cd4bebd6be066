import { type FormEvent, useId, useState } from "react";
import { type Secret, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog } from "../ui/dialog.js";
import { type Entry, KeyValueEditor, toEntries, toRecord } from "../ui/key-value-editor.js";
import { ErrorNotice } from "../ui/states.js";
import { BoundResources } from "./bound-resources.js";
import { PROVIDER_LIST_ID, ProviderSuggestions } from "./providers.js";
import { ValueFields, readValue } from "./value-fields.js";

/**
 * A new value and/or new metadata, conditional on the etag the secret had
 * when the dialog opened: if someone changed it since, the service answers
 * ABORTED and nothing is overwritten.
 */
export function UpdateSecretDialog({ secret, onClose }: { secret: Secret; onClose: () => void }) {
  const id = useId();
  const [etag] = useState(secret.etag);
  const [replaceValue, setReplaceValue] = useState(false);
  const [fieldNames, setFieldNames] = useState<string[]>(Object.keys(secret.maskedFields));
  const [config, setConfig] = useState<Entry[]>(toEntries(secret.authConfig));
  const update = useConsoleMutation(SecretsService.method.updateSecret, { doing: `Updating ${secret.secretName}`, success: (r) => `Updated secret ${r.secret?.secretName}.`, onSuccess: onClose });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const value = replaceValue ? readValue(form, fieldNames) : undefined;
    if (replaceValue && !value) return;
    // Only what changed is sent, so the audit trail and the etag move only for real changes.
    const provider = String(data.get("provider")).trim();
    const model = String(data.get("model")).trim();
    const authConfig = toRecord(config);
    const configChanged = JSON.stringify(authConfig) !== JSON.stringify(secret.authConfig);
    update.mutate({
      secretId: secret.secretId,
      etag,
      provider: provider === (secret.provider ?? "") ? undefined : provider,
      model: model === (secret.model ?? "") ? undefined : model,
      authConfig: configChanged ? authConfig : {},
      clearAuthConfig: configChanged && Object.keys(authConfig).length === 0,
      ...value,
    });
  };

  return (
    <Dialog title={`Update ${secret.secretName}`} onClose={onClose}>
      <form onSubmit={submit}>
        <ProviderSuggestions />
        <p className="help">
          Key name <code>{secret.fieldName}</code> · value version {secret.version} · the name and scope cannot change.
        </p>
        <label htmlFor={`${id}-provider`}>Provider</label>
        <input id={`${id}-provider`} name="provider" list={PROVIDER_LIST_ID} defaultValue={secret.provider ?? ""} />
        <label htmlFor={`${id}-model`}>Model</label>
        <input id={`${id}-model`} name="model" defaultValue={secret.model ?? ""} />
        <KeyValueEditor legend="Auth settings (not secret)" entries={config} onChange={setConfig} keyLabel="Setting" valueLabel="Setting value" />
        <p className="help">Changing api_base needs the value again, so the key is never sent to a new host unasked.</p>
        <label className="check">
          <input type="checkbox" checked={replaceValue} onChange={(e) => setReplaceValue(e.target.checked)} /> Replace the value
        </label>
        {replaceValue && (
          <>
            <BoundResources secretId={secret.secretId} consequence="each of them gets the new value on its next resolve." />
            <ValueFields fieldNames={fieldNames} onFieldNamesChange={setFieldNames} required />
          </>
        )}
        {update.error && <ErrorNotice error={update.error} doing={`Updating ${secret.secretName}`} />}
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save changes"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
