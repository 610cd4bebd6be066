import { useId } from "react";

interface ValueFieldsProps {
  /** Empty: one value. Otherwise the names of a multi-field value's parts. */
  fieldNames: string[];
  onFieldNamesChange: (names: string[]) => void;
  required: boolean;
}

/**
 * The value's inputs: password fields that React never controls, so a
 * value is never copied into state or into a DOM attribute; the form is
 * read once on submit (readValue), and the inputs go with their dialog.
 */
export function ValueFields({ fieldNames, onFieldNamesChange, required }: ValueFieldsProps) {
  const id = useId();
  const multi = fieldNames.length > 0;
  return (
    <fieldset>
      <legend>Value</legend>
      <div className="radio-row" role="radiogroup" aria-label="Kind of value">
        <label>
          <input type="radio" name="value-kind" checked={!multi} onChange={() => onFieldNamesChange([])} /> One value
        </label>
        <label>
          <input type="radio" name="value-kind" checked={multi} onChange={() => onFieldNamesChange(multi ? fieldNames : ["", ""])} /> Several fields
        </label>
      </div>
      {!multi ? (
        <>
          <label htmlFor={`${id}-value`}>Secret value</label>
          <input id={`${id}-value`} name="secret-value" type="password" autoComplete="off" spellCheck={false} required={required} />
        </>
      ) : (
        <>
          {fieldNames.map((name, i) => (
            <div className="row" key={i}>
              <label htmlFor={`${id}-n${i}`}>Field name</label>
              <input id={`${id}-n${i}`} value={name} onChange={(e) => onFieldNamesChange(fieldNames.map((n, j) => (j === i ? e.target.value : n)))} required />
              <label htmlFor={`${id}-f${i}`}>Value of {name || `field ${i + 1}`}</label>
              <input id={`${id}-f${i}`} name={`secret-field-${i}`} type="password" autoComplete="off" spellCheck={false} required={required} />
            </div>
          ))}
          <button type="button" onClick={() => onFieldNamesChange([...fieldNames, ""])}>
            Add field
          </button>
        </>
      )}
      <p className="help">Values are sent once and never shown again; the service keeps only a masked form.</p>
    </fieldset>
  );
}

export type ValueInput = { secretValue: string; secretFields?: undefined } | { secretValue?: undefined; secretFields: Record<string, string> } | undefined;

/** The value typed into the form; undefined when nothing was typed. */
export function readValue(form: HTMLFormElement, fieldNames: string[]): ValueInput {
  const data = new FormData(form);
  if (fieldNames.length === 0) {
    const value = String(data.get("secret-value") ?? "");
    return value ? { secretValue: value } : undefined;
  }
  const fields = Object.fromEntries(fieldNames.map((name, i) => [name.trim(), String(data.get(`secret-field-${i}`) ?? "")]));
  return Object.values(fields).some((v) => v) ? { secretFields: fields } : undefined;
}
