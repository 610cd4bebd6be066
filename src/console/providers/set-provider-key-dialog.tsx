import { type FormEvent, useId, useState } from "react";
import { type Provider, ProviderService } from "../../../gen/secrets/v1/providers_pb.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog, DialogButtons } from "../ui/dialog.js";
import { ErrorNotice } from "../ui/states.js";
import { AuthModeFields, readAuthFields, valueOf } from "./auth-mode-fields.js";
import { ExistingSecretSelect } from "./existing-secret-select.js";
import { defaultEnvVar, modeOf } from "./use-catalog.js";

type Source = "new" | "existing";

/**
 * Makes a secret the provider's key (the caller's, or for admins the shared
 * one) in one SetProviderKey call: a new secret (auth mode → its fields),
 * created with the key, or one that exists and the caller may use.
 */
export function SetProviderKeyDialog({ provider, shared, onClose }: { provider: Provider; shared: boolean; onClose: () => void }) {
  const id = useId();
  const [source, setSource] = useState<Source>("new");
  const [modeName, setModeName] = useState<string>();
  const mode = modeOf(provider, modeName);
  const whose = shared ? "the shared" : "your";
  const set = useConsoleMutation(ProviderService.method.setProviderKey, {
    doing: `Setting ${whose} key for ${provider.displayName}`,
    success: (r) => `Set ${whose} key for ${provider.displayName} (secret ${r.providerKey?.secretName}).`,
    onSuccess: onClose,
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    if (source === "existing") {
      const secretId = String(data.get("secret-id") ?? "");
      if (secretId) set.mutate({ provider: provider.providerId, isShared: shared, key: { case: "secretId", value: secretId } });
      return;
    }
    const auth = readAuthFields(form, mode);
    const value = valueOf(mode, auth.secretFields);
    if (!value) return;
    set.mutate({
      provider: provider.providerId,
      isShared: shared,
      key: { case: "newSecret", value: { secretName: String(data.get("secret-name")).trim(), fieldName: String(data.get("field-name")).trim(), authConfig: auth.authConfig, ...value } },
    });
  };
  return (
    <Dialog title={`Set ${whose} key for ${provider.displayName}`} onClose={onClose}>
      <form onSubmit={submit}>
        <p className="help">{shared ? "Everyone's fallback for this provider: it must be a shared secret." : "Used by your model definitions of this provider that have no key of their own."} It replaces any key set before.</p>
        <fieldset>
          <legend>Key from</legend>
          <label className="check">
            <input type="radio" name="source" value="new" checked={source === "new"} onChange={() => setSource("new")} /> A new {shared ? "shared" : "private"} secret
          </label>
          <label className="check">
            <input type="radio" name="source" value="existing" checked={source === "existing"} onChange={() => setSource("existing")} /> An existing secret
          </label>
        </fieldset>
        {source === "existing" ? (
          <ExistingSecretSelect provider={provider} shared={shared} name="secret-id" />
        ) : (
          <>
            <label htmlFor={`${id}-name`}>Secret name</label>
            <input id={`${id}-name`} name="secret-name" required autoComplete="off" defaultValue={`${provider.providerId}-${shared ? "shared" : "key"}`} />
            <label htmlFor={`${id}-field`}>Key name</label>
            <input id={`${id}-field`} name="field-name" required defaultValue={defaultEnvVar(provider.providerId, provider)} />
            <AuthModeFields provider={provider} mode={mode} onModeChange={setModeName} secrets="required" />
          </>
        )}
        {set.error && <ErrorNotice error={set.error} doing={`Setting ${whose} key`} />}
        <DialogButtons onCancel={onClose} submit="Set key" disabled={set.isPending} />
      </form>
    </Dialog>
  );
}
