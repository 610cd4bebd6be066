import { type FormEvent, useId, useState } from "react";
import { SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { type AuditFilter, AuditEventsTable } from "./audit-events-table.js";

const ACTIONS = SecretsService.methods.map((m) => m.name);

/** datetime-local gives local wall-clock time; the API takes epoch milliseconds. */
function toMillis(value: FormDataEntryValue | null): bigint | undefined {
  const text = String(value ?? "");
  return text ? BigInt(new Date(text).getTime()) : undefined;
}

export function AuditPage() {
  const id = useId();
  const [filter, setFilter] = useState<AuditFilter>({});
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const text = (name: string) => String(data.get(name) ?? "").trim() || undefined;
    setFilter({ principal: text("principal"), secretId: text("secret"), action: text("action"), startTime: toMillis(data.get("from")), endTime: toMillis(data.get("to")) });
  };
  return (
    <>
      <p className="lede">Every call that touched a secret or a resource: who, what, and how it ended. Never a value.</p>
      <form className="filters" onSubmit={apply} role="search" aria-label="Filter audit events">
        <label htmlFor={`${id}-principal`}>Principal</label>
        <input id={`${id}-principal`} name="principal" placeholder="any" />
        <label htmlFor={`${id}-secret`}>Secret id</label>
        <input id={`${id}-secret`} name="secret" placeholder="any" />
        <label htmlFor={`${id}-action`}>Action</label>
        <input id={`${id}-action`} name="action" list={`${id}-actions`} placeholder="any" />
        <datalist id={`${id}-actions`}>
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label htmlFor={`${id}-from`}>From</label>
        <input id={`${id}-from`} name="from" type="datetime-local" />
        <label htmlFor={`${id}-to`}>Until</label>
        <input id={`${id}-to`} name="to" type="datetime-local" />
        <button type="submit">Apply filters</button>
      </form>
      <AuditEventsTable filter={filter} pageSize={50} />
    </>
  );
}
