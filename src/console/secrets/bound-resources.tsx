import type { SecretBinding } from "../../../gen/secrets/v1/service_pb.js";
import { resourceLabel } from "../format.js";
import { ErrorNotice, Loading } from "../ui/states.js";
import { useSecretBindings } from "./use-secret-usage.js";

/** "Bound to N resources" and their list: what a value change or a deletion affects. */
export function BoundResources({ secretId, consequence }: { secretId: string; consequence: string }) {
  const bindings = useSecretBindings(secretId);
  if (bindings.error) return <ErrorNotice error={bindings.error} doing="Loading bindings" />;
  if (!bindings.complete) return <Loading what="bindings" />;
  const list: SecretBinding[] = bindings.items;
  if (list.length === 0) return <p className="help">Not bound to any resource.</p>;
  return (
    <div className="warning" role="note" aria-label="Bound resources">
      <p>
        Bound to {list.length === 1 ? "1 resource" : `${list.length} resources`}: {consequence}
      </p>
      <ul>
        {list.map((b) => (
          <li key={b.bindingId}>
            <code>{resourceLabel(b)}</code> as <code>{b.fieldName}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}
