import { type FormEvent, useState } from "react";
import { type Secret, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { AUTH_MODE_KEY, AuthModeFields, readAuthFields, settingsChanged, valueOf } from "../providers/auth-mode-fields.js";
import { ModelInput, ProviderSelect } from "../providers/provider-select.js";
import { modeOf, useProviderCatalog } from "../providers/use-catalog.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { type Entry, KeyValueEditor, toEntries, toRecord } from "../ui/key-value-editor.js";
import { ErrorNotice } from "../ui/states.js";
import { BoundResources } from "./bound-resources.js";
import { ValueFields, readValue } from "./value-fields.js";

/**
 * A new value and/or new metadata, conditional on the etag the secret had
 * when the dialog opened: if someone changed it since, the service answers
 * ABORTED and nothing is overwritten.
 */
export function UpdateSecretDialog({ secret, onClose }: { secret: Secret; onClose: () => void }) {
  const catalog = useProviderCatalog();
  const [etag] = useState(secret.etag);
  const [provider, setProvider] = useState(secret.provider ?? "");
  const entry = catalog.find(provider);
  const [modeName, setModeName] = useState(secret.authConfig[AUTH_MODE_KEY]);
  const mode = entry && modeOf(entry, modeName);
  const [replaceValue, setReplaceValue] = useState(false);
  const [fieldNames, setFieldNames] = useState<string[]>(Object.keys(secret.maskedFields));
  const [config, setConfig] = useState<Entry[]>(toEntries(secret.authConfig));
  const update = useConsoleMutation(SecretsService.method.updateSecret, { doing: `Updating ${secret.secretName}`, success: (r) => `Updated secret ${r.secret?.secretName}.`, onSuccess: onClose });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const auth = mode && readAuthFields(form, mode);
    const value = replaceValue ? (mode ? valueOf(mode, auth!.secretFields) : readValue(form, fieldNames)) : undefined;
    if (replaceValue && !value) return;
    // Only what changed is sent, so the audit trail and the etag move only for real changes.
    const model = String(new FormData(form).get("model")).trim();
    const authConfig = auth ? auth.authConfig : toRecord(config);
    const configChanged = auth ? settingsChanged(authConfig, secret.authConfig) : JSON.stringify(authConfig) !== JSON.stringify(secret.authConfig);
    update.mutate({
      secretId: secret.secretId,
      etag,
      provider: provider.trim() === (secret.provider ?? "") ? undefined : provider.trim(),
      model: model === (secret.model ?? "") ? undefined : model,
      authConfig: configChanged ? authConfig : {},
      clearAuthConfig: configChanged && Object.keys(authConfig).length === 0,
      ...value,
    });
  };

  return (
    <Dialog title={`Update ${secret.secretName}`} onClose={onClose}>
      <form onSubmit={submit}>
        <p className="help">
          Key name <code>{secret.fieldName}</code> · value version {secret.version} · the name and scope cannot change.
        </p>
        <ProviderSelect value={provider} onChange={setProvider} allowOther />
        <ModelInput provider={entry} name="model" defaultValue={secret.model ?? ""} />
        <label className="check">
          <input type="checkbox" checked={replaceValue} onChange={(e) => setReplaceValue(e.target.checked)} /> Replace the value
        </label>
        {replaceValue && <BoundResources secretId={secret.secretId} consequence="each of them gets the new value on its next resolve." />}
        {entry && mode ? (
          <AuthModeFields provider={entry} mode={mode} onModeChange={setModeName} secrets={replaceValue ? "required" : "hidden"} initialConfig={secret.authConfig} />
        ) : (
          <>
            {replaceValue && <ValueFields fieldNames={fieldNames} onFieldNamesChange={setFieldNames} required />}
            <KeyValueEditor legend="Auth settings (not secret)" entries={config} onChange={setConfig} keyLabel="Setting" valueLabel="Setting value" />
          </>
        )}
        <p className="help">Changing api_base needs the value again, so the key is never sent to a new host unasked.</p>
        {update.error && <ErrorNotice error={update.error} doing={`Updating ${secret.secretName}`} />}
        <DialogButtons onCancel={onClose} submit={update.isPending ? "Saving…" : "Save changes"} disabled={update.isPending} />
      </form>
    </Dialog>
  );
}
