import { useId } from "react";
import type { AuthField, AuthMode, Provider } from "../../../gen/secrets/v1/providers_pb.js";

const SECRET = "auth-secret:";
const CONFIG = "auth-config:";
/** auth_config's key for the chosen mode, as MLflow's forms send it and the service checks it. */
export const AUTH_MODE_KEY = "auth_mode";

interface AuthModeFieldsProps {
  provider: Provider;
  mode: AuthMode;
  onModeChange: (mode: string) => void;
  /** "required": a new credential; "optional": an edit, where blank keeps the stored value; "hidden": settings only. */
  secrets: "required" | "optional" | "hidden";
  /** The stored settings of an edited credential; otherwise the catalog's defaults are pre-filled. */
  initialConfig?: Record<string, string>;
}

/**
 * One provider's auth mode → its secret fields (password inputs that React
 * never controls, read once on submit by readAuthFields) and its settings
 * (in clear, pre-filled). Used wherever a credential is entered: secrets,
 * provider keys and the gateway's API keys.
 */
export function AuthModeFields({ provider, mode, onModeChange, secrets, initialConfig }: AuthModeFieldsProps) {
  const id = useId();
  return (
    <>
      {provider.authModes.length > 1 && (
        <>
          <label htmlFor={`${id}-mode`}>Auth mode</label>
          <select id={`${id}-mode`} value={mode.mode} onChange={(e) => onModeChange(e.target.value)}>
            {provider.authModes.map((m) => (
              <option key={m.mode} value={m.mode}>
                {m.displayName}
              </option>
            ))}
          </select>
        </>
      )}
      <p className="help">
        {provider.authModes.length > 1 ? "" : `Auth mode: ${mode.displayName}. `}
        {mode.description}.
      </p>
      {secrets !== "hidden" && mode.secretFields.length > 0 && (
        <fieldset>
          <legend>Secret fields</legend>
          {mode.secretFields.map((f) => (
            <Field key={`${mode.mode}:${f.name}`} id={`${id}-s-${f.name}`} field={f} name={SECRET + f.name} secret required={secrets === "required" && f.required} />
          ))}
          <p className="help">
            {secrets === "optional" ? "Leave blank to keep the stored values. " : ""}Sent once and never shown again; only a masked form is kept.
          </p>
        </fieldset>
      )}
      {mode.configFields.length > 0 && (
        <fieldset>
          <legend>Settings (not secret)</legend>
          {mode.configFields.map((f) => (
            <Field key={`${mode.mode}:${f.name}`} id={`${id}-c-${f.name}`} field={f} name={CONFIG + f.name} required={f.required} defaultValue={initialConfig ? (initialConfig[f.name] ?? "") : f.default} />
          ))}
        </fieldset>
      )}
    </>
  );
}

function Field({ id, field, name, secret, required, defaultValue }: { id: string; field: AuthField; name: string; secret?: boolean; required: boolean; defaultValue?: string }) {
  return (
    <>
      <label htmlFor={id}>
        {field.name}
        {field.required ? "" : " (optional)"}
      </label>
      <input
        id={id}
        name={name}
        type={secret ? "password" : "text"}
        autoComplete="off"
        spellCheck={false}
        required={required}
        defaultValue={defaultValue}
        aria-describedby={`${id}-help`}
      />
      <p id={`${id}-help`} className="help">
        {field.description}
        {field.envVar && (
          <>
            {" "}
            (<code>{field.envVar}</code>)
          </>
        )}
      </p>
    </>
  );
}

export interface AuthInput {
  /** Only the fields that were filled in: an optional field left blank is not sent. */
  secretFields: Record<string, string>;
  authConfig: Record<string, string>;
}

export function readAuthFields(form: HTMLFormElement, mode: AuthMode): AuthInput {
  const data = new FormData(form);
  const filled = (prefix: string, fields: AuthField[], clean: (v: string) => string) =>
    Object.fromEntries(fields.map((f) => [f.name, clean(String(data.get(prefix + f.name) ?? ""))]).filter(([, v]) => v));
  return { secretFields: filled(SECRET, mode.secretFields, (v) => v), authConfig: { ...filled(CONFIG, mode.configFields, (v) => v.trim()), [AUTH_MODE_KEY]: mode.mode } };
}

/**
 * A mode with one secret field takes it as the secret's one value (what a
 * binding puts in the key's variable); a mode with several, as fields.
 */
export function valueOf(mode: AuthMode, secretFields: Record<string, string>): { secretValue: string } | { secretFields: Record<string, string> } | undefined {
  const names = Object.keys(secretFields);
  if (names.length === 0) return undefined;
  return mode.secretFields.length === 1 ? { secretValue: secretFields[names[0]!]! } : { secretFields };
}

/** Whether the settings read differ from those stored; a mode never written down is the one the service matched, so naming it now is no change. */
export function settingsChanged(authConfig: Record<string, string>, stored: Record<string, string>): boolean {
  const before = { [AUTH_MODE_KEY]: authConfig[AUTH_MODE_KEY]!, ...stored };
  const sorted = (r: Record<string, string>) => JSON.stringify(Object.entries(r).sort());
  return sorted(authConfig) !== sorted(before);
}
