import { useId, useState } from "react";
import type { Provider } from "../../../gen/secrets/v1/providers_pb.js";
import { useProviderCatalog, useProviderModels } from "./use-catalog.js";

const OTHER = "\u0000other";

interface ProviderSelectProps {
  value: string;
  onChange: (provider: string) => void;
  /** Secrets may name a provider the catalog lacks, or none; gateway keys and provider keys may not. */
  allowOther: boolean;
}

/** The catalog's providers; with allowOther also "none" and a free-text name for a provider it does not list. */
export function ProviderSelect({ value, onChange, allowOther }: ProviderSelectProps) {
  const id = useId();
  const catalog = useProviderCatalog();
  const known = catalog.find(value) !== undefined;
  // "Other" is shown when chosen (its name not typed yet) or for a provider named that the loaded catalog does not list.
  const [otherChosen, setOtherChosen] = useState(false);
  const selected = known ? catalog.find(value)!.providerId : allowOther && (otherChosen || (value !== "" && !catalog.pending)) ? OTHER : "";
  return (
    <>
      <label htmlFor={`${id}-provider`}>Provider</label>
      <select
        id={`${id}-provider`}
        value={selected}
        required={!allowOther}
        onChange={(e) => {
          const chosen = e.target.value;
          setOtherChosen(chosen === OTHER);
          onChange(chosen === OTHER ? "" : chosen);
        }}
      >
        <option value="">{catalog.pending ? "Loading providers…" : allowOther ? "None" : "Choose a provider"}</option>
        {catalog.providers.map((p) => (
          <option key={p.providerId} value={p.providerId}>
            {p.displayName} ({p.providerId})
          </option>
        ))}
        {allowOther && <option value={OTHER}>Other (not in the catalog)…</option>}
      </select>
      {selected === OTHER && (
        <>
          <label htmlFor={`${id}-other`}>Provider name</label>
          <input id={`${id}-other`} value={value} onChange={(e) => onChange(e.target.value)} required />
        </>
      )}
    </>
  );
}

/** A model of the provider's catalog list, as suggestions: a model newer than the catalog may still be typed. */
export function ModelInput({ provider, name, defaultValue, required }: { provider: Provider | undefined; name: string; defaultValue?: string; required?: boolean }) {
  const id = useId();
  const models = useProviderModels(provider);
  const list = models.data?.models ?? [];
  return (
    <>
      <label htmlFor={`${id}-model`}>Model</label>
      <input id={`${id}-model`} name={name} list={`${id}-models`} defaultValue={defaultValue} required={required} autoComplete="off" placeholder={list.length ? `${list.length} models in the catalog` : "model id"} />
      <datalist id={`${id}-models`}>
        {list.map((m) => (
          <option key={m.model} value={m.model}>
            {m.displayName}
          </option>
        ))}
      </datalist>
    </>
  );
}

/** Suggestions for a provider filter: the catalog's ids. */
export function ProviderSuggestions({ id }: { id: string }) {
  const catalog = useProviderCatalog();
  return (
    <datalist id={id}>
      {catalog.providers.map((p) => (
        <option key={p.providerId} value={p.providerId}>
          {p.displayName}
        </option>
      ))}
    </datalist>
  );
}
