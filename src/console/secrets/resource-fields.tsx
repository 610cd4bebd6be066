import { useId } from "react";

const RESOURCE_TYPES = ["SCORER_JOB", "ENDPOINT", "WORKSPACE", "GLOBAL"] as const;

/** The resource a binding goes to; read from the form by readResource. */
export function ResourceFields({ fieldName }: { fieldName?: string }) {
  const id = useId();
  return (
    <fieldset>
      <legend>Resource</legend>
      <datalist id={`${id}-types`}>
        {RESOURCE_TYPES.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <label htmlFor={`${id}-type`}>Resource type</label>
      <input id={`${id}-type`} name="resource-type" list={`${id}-types`} defaultValue="SCORER_JOB" required />
      <label htmlFor={`${id}-rid`}>Resource id</label>
      <input id={`${id}-rid`} name="resource-id" required />
      {fieldName !== undefined && (
        <>
          <label htmlFor={`${id}-bfield`}>Field name</label>
          <input id={`${id}-bfield`} name="binding-field" defaultValue={fieldName} required />
        </>
      )}
      <p className="help">The first principal to bind to a resource owns it; others need the owner&apos;s grant.</p>
    </fieldset>
  );
}

export function readResource(data: FormData): { resourceType: string; resourceId: string } {
  return { resourceType: String(data.get("resource-type")).trim(), resourceId: String(data.get("resource-id")).trim() };
}
