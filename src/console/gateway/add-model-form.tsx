import { type FormEvent, useId, useRef, useState } from "react";
import { GatewayService, LinkageType, type ModelDefinition } from "../../../gen/secrets/v1/gateway_pb.js";
import { ModelInput, ProviderSelect } from "../providers/provider-select.js";
import { modeOf, useProviderCatalog } from "../providers/use-catalog.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ErrorNotice } from "../ui/states.js";
import { useAllPages } from "../ui/use-all-pages.js";
import { NewApiKeyFields, readNewApiKey } from "./new-api-key-fields.js";

const NEW_KEY = "\u0000new";

/**
 * MLflow's per-model configuration of the endpoint form: provider → model
 * from the catalog → one of that provider's keys or a new one made here.
 * Adding creates the key (if new) and the model definition at once, so no
 * secret waits in the console's memory for the endpoint to be saved.
 */
export function AddModelForm({ onAdded }: { onAdded: (model: ModelDefinition, linkage: LinkageType) => void }) {
  const id = useId();
  const catalog = useProviderCatalog();
  const [provider, setProvider] = useState("");
  const entry = catalog.find(provider);
  const [modeName, setModeName] = useState<string>();
  const mode = entry && modeOf(entry, modeName);
  const [keyId, setKeyId] = useState("");
  const [busy, setBusy] = useState(false);
  const fieldset = useRef<HTMLFieldSetElement>(null);
  const keys = useAllPages(GatewayService.method.listGatewaySecretInfos, { provider: entry?.providerId }, (p) => p.secrets, { enabled: entry !== undefined });
  const createKey = useConsoleMutation(GatewayService.method.createGatewaySecret, { doing: "Creating the API key", success: (r) => `Created API key ${r.secret?.secretName}.` });
  const createModel = useConsoleMutation(GatewayService.method.createModelDefinition, { doing: "Creating the model definition", success: (r) => `Created model definition ${r.modelDefinition?.name}.` });
  const error = createKey.error ?? createModel.error;

  // The fields after the provider go with it, and focus with them: it returns to the provider, ready for the next model.
  const reset = (form: HTMLFormElement) => {
    form.reset();
    setProvider("");
    setModeName(undefined);
    setKeyId("");
    fieldset.current?.querySelector("select")?.focus();
  };
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!entry || !mode) return;
    const form = e.currentTarget;
    const linkage = (e.nativeEvent as SubmitEvent).submitter?.getAttribute("value") === "fallback" ? LinkageType.FALLBACK : LinkageType.PRIMARY;
    const data = new FormData(form);
    const modelName = String(data.get("model")).trim();
    setBusy(true);
    try {
      const secretId = keyId === NEW_KEY ? (await createKey.mutateAsync(readNewApiKey(form, entry, mode))).secret!.secretId : keyId;
      const name = String(data.get("definition-name")).trim() || `${entry.providerId}-${modelName}`;
      const created = await createModel.mutateAsync({ name, secretId, provider: entry.providerId, modelName });
      onAdded(created.modelDefinition!, linkage);
      reset(form);
    } catch {
      // Shown below and notified; a key already created stays, and is offered in the list.
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-labelledby={`${id}-title`}>
      <fieldset ref={fieldset}>
        <legend id={`${id}-title`}>Add a model from the catalog</legend>
        <ProviderSelect
          value={provider}
          onChange={(p) => {
            setProvider(p);
            setModeName(undefined);
            setKeyId("");
          }}
          allowOther={false}
        />
        {entry && mode && (
          <>
            <ModelInput key={entry.providerId} provider={entry} name="model" required />
            <label htmlFor={`${id}-key`}>API key</label>
            <select id={`${id}-key`} value={keyId} onChange={(e) => setKeyId(e.target.value)} required>
              <option value="">{!keys.complete ? "Loading keys…" : `Choose a ${entry.displayName} key`}</option>
              {keys.items.map((k) => (
                <option key={k.secretId} value={k.secretId}>
                  {k.secretName}
                </option>
              ))}
              <option value={NEW_KEY}>Create a new key…</option>
            </select>
            {keyId === NEW_KEY && <NewApiKeyFields provider={entry} mode={mode} onModeChange={setModeName} />}
            <label htmlFor={`${id}-name`}>Model definition name</label>
            <input id={`${id}-name`} name="definition-name" autoComplete="off" placeholder={`${entry.providerId}-<model>`} aria-describedby={`${id}-name-help`} />
            <p id={`${id}-name-help`} className="help">
              Blank: the provider and model, e.g. <code>{entry.providerId}-gpt-4o</code>.
            </p>
            {error && <ErrorNotice error={error} doing="Adding the model" />}
            <div className="buttons">
              <button type="submit" value="primary" disabled={busy}>
                Add as primary
              </button>
              <button type="submit" value="fallback" disabled={busy}>
                Add as fallback
              </button>
            </div>
          </>
        )}
      </fieldset>
    </form>
  );
}
