import { useId } from "react";

export interface Entry {
  key: string;
  value: string;
}

interface KeyValueEditorProps {
  legend: string;
  entries: Entry[];
  onChange: (entries: Entry[]) => void;
  keyLabel: string;
  valueLabel: string;
}

/** Non-secret name/value settings (auth_config). Secret values never go through here: see ValueFields. */
export function KeyValueEditor({ legend, entries, onChange, keyLabel, valueLabel }: KeyValueEditorProps) {
  const id = useId();
  const set = (i: number, patch: Partial<Entry>) => onChange(entries.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  return (
    <fieldset>
      <legend>{legend}</legend>
      {entries.map((entry, i) => (
        <div className="row" key={i}>
          <label htmlFor={`${id}-k${i}`}>{keyLabel}</label>
          <input id={`${id}-k${i}`} value={entry.key} onChange={(e) => set(i, { key: e.target.value })} />
          <label htmlFor={`${id}-v${i}`}>{valueLabel}</label>
          <input id={`${id}-v${i}`} value={entry.value} onChange={(e) => set(i, { value: e.target.value })} />
          <button type="button" onClick={() => onChange(entries.filter((_, j) => j !== i))} aria-label={`Remove ${entry.key || "setting"}`}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...entries, { key: "", value: "" }])}>
        Add setting
      </button>
    </fieldset>
  );
}

export function toRecord(entries: Entry[]): Record<string, string> {
  return Object.fromEntries(entries.filter((e) => e.key.trim()).map((e) => [e.key.trim(), e.value]));
}

export function toEntries(record: Record<string, string>): Entry[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}
