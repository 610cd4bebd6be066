import { type FormEvent, useId, useState } from "react";
import { SecretState, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { ResourceFields, readResource } from "../secrets/resource-fields.js";
import { useAllSecrets } from "../secrets/use-secret-usage.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { ErrorNotice } from "../ui/states.js";

export function BindSecretForm() {
  const id = useId();
  const secrets = useAllSecrets();
  const active = secrets.items.filter((s) => s.state === SecretState.ACTIVE);
  const [secretId, setSecretId] = useState("");
  const chosen = active.find((s) => s.secretId === secretId);
  const bind = useConsoleMutation(SecretsService.method.bindSecret, {
    doing: "Binding",
    success: (r) => `Bound ${chosen?.secretName ?? "the secret"} to ${r.binding?.resourceType}/${r.binding?.resourceId} as ${r.binding?.fieldName}.`,
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    bind.mutate({ secretId, ...readResource(data), fieldName: String(data.get("binding-field")).trim() });
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Bind a secret</h2>
      {secrets.error && <ErrorNotice error={secrets.error} doing="Loading secrets" />}
      <label htmlFor={`${id}-secret`}>Secret</label>
      <select id={`${id}-secret`} value={secretId} onChange={(e) => setSecretId(e.target.value)} required>
        <option value="">{!secrets.complete ? "Loading secrets…" : "Choose a secret"}</option>
        {active.map((s) => (
          <option key={s.secretId} value={s.secretId}>
            {s.secretName} ({s.isShared ? "shared" : "private"})
          </option>
        ))}
      </select>
      <ResourceFields key={secretId} fieldName={chosen?.fieldName ?? ""} />
      {bind.error && <ErrorNotice error={bind.error} doing="Binding" />}
      <button type="submit" className="primary" disabled={!secretId || bind.isPending}>
        Bind
      </button>
    </form>
  );
}
