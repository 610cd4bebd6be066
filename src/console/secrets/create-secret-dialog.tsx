import { type FormEvent, useId, useState } from "react";
import { SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog } from "../ui/dialog.js";
import { type Entry, KeyValueEditor, toRecord } from "../ui/key-value-editor.js";
import { ErrorNotice } from "../ui/states.js";
import { PROVIDER_LIST_ID, ProviderSuggestions, defaultFieldName, presetOf } from "./providers.js";
import { ResourceFields, readResource } from "./resource-fields.js";
import { ValueFields, readValue } from "./value-fields.js";

/**
 * provider → model → key name (the provider's usual variable until edited)
 * → value → scope, and optionally a binding made in the same transaction
 * (CreateAndBindSecret).
 */
export function CreateSecretDialog({ onClose }: { onClose: () => void }) {
  const id = useId();
  const [provider, setProvider] = useState("");
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
    const preset = presetOf(name);
    if (preset?.fields && fieldNames.length === 0) setFieldNames(preset.fields);
    if (preset?.config && config.length === 0) setConfig(preset.config.map((key) => ({ key, value: "" })));
  };

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const value = readValue(form, fieldNames);
    if (!value) return;
    const common = {
      secretName: String(data.get("secret-name")).trim(),
      fieldName: (fieldName ?? defaultFieldName(provider)).trim(),
      provider: provider.trim() || undefined,
      model: String(data.get("model")).trim() || undefined,
      authConfig: toRecord(config),
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
        <ProviderSuggestions />
        <label htmlFor={`${id}-provider`}>Provider</label>
        <input id={`${id}-provider`} list={PROVIDER_LIST_ID} value={provider} onChange={(e) => chooseProvider(e.target.value)} placeholder="e.g. openai" />
        <label htmlFor={`${id}-model`}>Model</label>
        <input id={`${id}-model`} name="model" placeholder="optional, e.g. gpt-4o" />
        <label htmlFor={`${id}-field`}>Key name</label>
        <input id={`${id}-field`} value={fieldName ?? defaultFieldName(provider)} onChange={(e) => setFieldName(e.target.value)} required aria-describedby={`${id}-field-help`} />
        <p id={`${id}-field-help`} className="help">
          The environment variable the value is meant for.
        </p>
        <label htmlFor={`${id}-name`}>Secret name</label>
        <input id={`${id}-name`} name="secret-name" required autoComplete="off" />
        <ValueFields fieldNames={fieldNames} onFieldNamesChange={setFieldNames} required />
        <fieldset>
          <legend>Scope</legend>
          <label>
            <input type="radio" name="scope" checked={!shared} onChange={() => setShared(false)} /> Private: only you (and admins) can see and use it
          </label>
          <label>
            <input type="radio" name="scope" checked={shared} onChange={() => setShared(true)} /> Shared: every signed-in principal can see and bind it
          </label>
        </fieldset>
        <KeyValueEditor legend="Auth settings (not secret)" entries={config} onChange={setConfig} keyLabel="Setting" valueLabel="Setting value" />
        <label className="check">
          <input type="checkbox" checked={bindNow} onChange={(e) => setBindNow(e.target.checked)} /> Bind to a resource now
        </label>
        {bindNow && <ResourceFields />}
        {error && <ErrorNotice error={error} doing="Creating the secret" />}
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Creating…" : bindNow ? "Create and bind" : "Create"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
