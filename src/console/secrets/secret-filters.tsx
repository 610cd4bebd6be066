import { useId } from "react";
import { type Secret, SecretState } from "../../../gen/secrets/v1/service_pb.js";
import { ProviderSuggestions } from "../providers/provider-select.js";

export interface SecretFilters {
  text: string;
  /** Provider and scope are filtered by the service (ListSecrets), text and state within the page. */
  provider: string;
  scope: "" | "private" | "shared";
  state: "" | "active" | "revoked";
}

export function matchesFilters(s: Secret, f: SecretFilters): boolean {
  const text = f.text.trim().toLowerCase();
  if (text && ![s.secretName, s.fieldName, s.provider ?? "", s.model ?? "", s.createdBy, s.lastUpdatedBy].some((v) => v.toLowerCase().includes(text))) return false;
  if (f.state === "active" && s.state !== SecretState.ACTIVE) return false;
  if (f.state === "revoked" && s.state !== SecretState.REVOKED) return false;
  return true;
}

interface Props {
  filters: SecretFilters;
  onChange: (f: SecretFilters) => void;
  pageSize: number;
  onPageSizeChange: (n: number) => void;
}

export function SecretFiltersBar({ filters, onChange, pageSize, onPageSizeChange }: Props) {
  const id = useId();
  const set = (patch: Partial<SecretFilters>) => onChange({ ...filters, ...patch });
  return (
    <search className="filters" aria-label="Filter secrets">
      <ProviderSuggestions id={`${id}-providers`} />
      <label htmlFor={`${id}-text`}>Search</label>
      <input id={`${id}-text`} type="search" value={filters.text} onChange={(e) => set({ text: e.target.value })} placeholder="name, key name, model…" />
      <label htmlFor={`${id}-provider`}>Provider</label>
      <input id={`${id}-provider`} list={`${id}-providers`} value={filters.provider} onChange={(e) => set({ provider: e.target.value })} placeholder="any" />
      <label htmlFor={`${id}-scope`}>Scope</label>
      <select id={`${id}-scope`} value={filters.scope} onChange={(e) => set({ scope: e.target.value as SecretFilters["scope"] })}>
        <option value="">Any</option>
        <option value="private">Private</option>
        <option value="shared">Shared</option>
      </select>
      <label htmlFor={`${id}-state`}>State</label>
      <select id={`${id}-state`} value={filters.state} onChange={(e) => set({ state: e.target.value as SecretFilters["state"] })}>
        <option value="">Any</option>
        <option value="active">Active</option>
        <option value="revoked">Revoked</option>
      </select>
      <label htmlFor={`${id}-size`}>Per page</label>
      <select id={`${id}-size`} value={pageSize} onChange={(e) => onPageSizeChange(Number(e.target.value))}>
        {[10, 25, 50, 100].map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </search>
  );
}
