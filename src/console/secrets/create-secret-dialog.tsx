import { type FormEvent, useId, useState } from "react";
import { SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { AuthModeFields, readAuthFields, valueOf } from "../providers/auth-mode-fields.js";
import { ModelInput, ProviderSelect } from "../providers/provider-select.js";
import { defaultEnvVar, modeOf, useProviderCatalog } from "../providers/use-catalog.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { type Entry, KeyValueEditor, toRecord } from "../ui/key-value-editor.js";
import { ErrorNotice } from "../ui/states.js";
import { ResourceFields, readResource } from "./resource-fields.js";
import { ValueFields, readValue } from "./value-fields.js";

/**
 * provider → model → key name (the catalog's variable for the provider
 * until edited) → the provider's auth mode and its fields → scope, and
 * optionally a binding made in the same transaction (CreateAndBindSecret).
 * A provider the catalog lacks, or none, takes free-form fields.
 */
export function CreateSecretDialog({ onClose }: { onClose: () => void }) {
  const id = useId();
  const catalog = useProviderCatalog();
  const [provider, setProvider] = useState("");
  const entry = catalog.find(provider);
  const [modeName, setModeName] = useState<string>();
  const mode = entry && modeOf(entry, modeName);
  const [fieldName, setFieldName] = useState<string>();
  const [fieldNames, setFieldNames] = useState<string[]>([]);
  const [config, setConfig] = useState<Entry[]>([]);
  const [shared, setShared] = useState(false);
  const [bindNow, setBindNow] = useState(false);
  const create = useConsoleMutation(SecretsService.method.createSecret, { doing: "Creating the secret", success: (r) => `Created secret ${r.secret?.secretName}.`, onSuccess: onClose });
  const createAndBind = useConsoleMutation(SecretsService.method.createAndBindSecret, {
    doing: "Creating and binding the secret",
    success: (r) => `Created secret ${r.secret?.secretName} and bound it to ${r.binding?.resourceType}/${r.binding?.resourceId}.`,
    onSuccess: onClose,
  });
  const pending = create.isPending || createAndBind.isPending;
  const error = create.error ?? createAndBind.error;

  const chooseProvider = (name: string) => {
    setProvider(name);
    setModeName(undefined);
  };

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const auth = mode && readAuthFields(form, mode);
    const value = mode ? valueOf(mode, auth!.secretFields) : readValue(form, fieldNames);
    if (!value) return;
    const common = {
      secretName: String(data.get("secret-name")).trim(),
      fieldName: (fieldName ?? defaultEnvVar(provider, entry)).trim(),
      provider: provider.trim() || undefined,
      model: String(data.get("model")).trim() || undefined,
      authConfig: auth ? auth.authConfig : toRecord(config),
      isShared: shared,
      requestId: crypto.randomUUID(),
      ...value,
    };
    if (bindNow) createAndBind.mutate({ ...common, ...readResource(data) });
    else create.mutate(common);
  };

  return (
    <Dialog title="Create secret" onClose={onClose}>
      <form onSubmit={submit}>
        <ProviderSelect value={provider} onChange={chooseProvider} allowOther />
        <ModelInput provider={entry} name="model" />
        <label htmlFor={`${id}-field`}>Key name</label>
        <input id={`${id}-field`} value={fieldName ?? defaultEnvVar(provider, entry)} onChange={(e) => setFieldName(e.target.value)} required aria-describedby={`${id}-field-help`} />
        <p id={`${id}-field-help`} className="help">
          The environment variable the value is meant for.
        </p>
        <label htmlFor={`${id}-name`}>Secret name</label>
        <input id={`${id}-name`} name="secret-name" required autoComplete="off" />
        {entry && mode ? (
          <AuthModeFields provider={entry} mode={mode} onModeChange={setModeName} secrets="required" />
        ) : (
          <>
            <ValueFields fieldNames={fieldNames} onFieldNamesChange={setFieldNames} required />
            <KeyValueEditor legend="Auth settings (not secret)" entries={config} onChange={setConfig} keyLabel="Setting" valueLabel="Setting value" />
          </>
        )}
        <fieldset>
          <legend>Scope</legend>
          <label>
            <input type="radio" name="scope" checked={!shared} onChange={() => setShared(false)} /> Private: only you (and admins) can see and use it
          </label>
          <label>
            <input type="radio" name="scope" checked={shared} onChange={() => setShared(true)} /> Shared: every signed-in principal can see and bind it
          </label>
        </fieldset>
        <label className="check">
          <input type="checkbox" checked={bindNow} onChange={(e) => setBindNow(e.target.checked)} /> Bind to a resource now
        </label>
        {bindNow && <ResourceFields />}
        {error && <ErrorNotice error={error} doing="Creating the secret" />}
        <DialogButtons onCancel={onClose} submit={pending ? "Creating…" : bindNow ? "Create and bind" : "Create"} disabled={pending} />
      </form>
    </Dialog>
  );
}
