import { type FormEvent, useId, useState } from "react";
import { GatewayService, type GatewaySecretInfo } from "../../../gen/secrets/v1/gateway_pb.js";
import { AUTH_MODE_KEY, AuthModeFields, readAuthFields, settingsChanged } from "../providers/auth-mode-fields.js";
import { ProviderSelect } from "../providers/provider-select.js";
import { modeOf, useProviderCatalog } from "../providers/use-catalog.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { ErrorNotice } from "../ui/states.js";
import { NewApiKeyFields, readNewApiKey } from "./new-api-key-fields.js";

/** MLflow's "Create API key": provider → auth mode → that mode's secret fields and settings → name. */
export function CreateApiKeyDialog({ onClose }: { onClose: () => void }) {
  const catalog = useProviderCatalog();
  const [provider, setProvider] = useState("");
  const entry = catalog.find(provider);
  const [modeName, setModeName] = useState<string>();
  const mode = entry && modeOf(entry, modeName);
  const create = useConsoleMutation(GatewayService.method.createGatewaySecret, { doing: "Creating the API key", success: (r) => `Created API key ${r.secret?.secretName}.`, onSuccess: onClose });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (entry && mode) create.mutate(readNewApiKey(e.currentTarget, entry, mode));
  };
  return (
    <Dialog title="Create API key" onClose={onClose}>
      <form onSubmit={submit}>
        <ProviderSelect
          value={provider}
          onChange={(p) => {
            setProvider(p);
            setModeName(undefined);
          }}
          allowOther={false}
        />
        {entry && mode ? <NewApiKeyFields provider={entry} mode={mode} onModeChange={setModeName} /> : <p className="help">Choose a provider to see how it authenticates.</p>}
        {create.error && <ErrorNotice error={create.error} doing="Creating the API key" />}
        <DialogButtons onCancel={onClose} submit="Create API key" disabled={create.isPending || !entry} />
      </form>
    </Dialog>
  );
}

/**
 * MLflow's "Edit API key": name and provider cannot change; secret fields
 * start empty (blank keeps the stored value); settings start as stored.
 * The service refuses a new api_base without the secret in the same call,
 * so a key is never sent to a new host unasked; its answer is shown here.
 */
export function EditApiKeyDialog({ secret, onClose }: { secret: GatewaySecretInfo; onClose: () => void }) {
  const id = useId();
  const catalog = useProviderCatalog();
  const entry = catalog.find(secret.provider);
  const [modeName, setModeName] = useState(secret.authConfig[AUTH_MODE_KEY]);
  const mode = entry && modeOf(entry, modeName);
  const update = useConsoleMutation(GatewayService.method.updateGatewaySecret, { doing: `Saving ${secret.secretName}`, success: (r) => `Saved API key ${r.secret?.secretName}.`, onSuccess: onClose });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!mode) return;
    const auth = readAuthFields(e.currentTarget, mode);
    const configChanged = settingsChanged(auth.authConfig, secret.authConfig);
    if (!configChanged && Object.keys(auth.secretFields).length === 0) return onClose();
    update.mutate({ secretId: secret.secretId, secretValue: auth.secretFields, authConfig: configChanged ? auth.authConfig : {} });
  };
  return (
    <Dialog title={`Edit API key ${secret.secretName}`} onClose={onClose}>
      <form onSubmit={submit}>
        <label htmlFor={`${id}-name`}>Key name</label>
        <input id={`${id}-name`} value={secret.secretName} readOnly aria-readonly="true" />
        <label htmlFor={`${id}-provider`}>Provider</label>
        <input id={`${id}-provider`} value={entry ? `${entry.displayName} (${entry.providerId})` : secret.provider || "—"} readOnly aria-readonly="true" />
        {entry && mode ? (
          <AuthModeFields provider={entry} mode={mode} onModeChange={setModeName} secrets="optional" initialConfig={secret.authConfig} />
        ) : (
          <p className="help">Its provider is not in the catalog: change it on the Secrets page.</p>
        )}
        <p className="help">Changing api_base needs the secret again, so the key is never sent to a new host unasked.</p>
        {update.error && <ErrorNotice error={update.error} doing={`Saving ${secret.secretName}`} />}
        <DialogButtons onCancel={onClose} submit="Save API key" disabled={update.isPending || !mode} />
      </form>
    </Dialog>
  );
}
