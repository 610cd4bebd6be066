import { useState } from "react";
import { type Secret, SecretState, SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { AuditEventsTable } from "../audit/audit-events-table.js";
import { formatTime, scopeLabel, stateLabel } from "../format.js";
import { hasRole, mayModify, useSession } from "../session.js";
import { useConsoleMutation } from "../use-console-mutation.js";
import { Dialog } from "../ui/dialog.js";
import { Meta } from "../ui/meta.js";
import { BindingsTable } from "../bindings/bindings-table.js";
import { ErrorNotice, Loading } from "../ui/states.js";
import { maskOf } from "./secret-columns.js";
import { SecretVersions } from "./secret-versions.js";
import { useSecretBindings } from "./use-secret-usage.js";

/** One secret: its metadata and value versions (never a value), where it is bound, revocation, and for admins its recent audit trail. */
export function SecretDrawer({ secret, onClose }: { secret: Secret; onClose: () => void }) {
  const session = useSession();
  const bindings = useSecretBindings(secret.secretId);
  return (
    <Dialog title={secret.secretName} onClose={onClose} variant="drawer">
      <section aria-labelledby="drawer-metadata">
        <h3 id="drawer-metadata">Metadata</h3>
        <dl className="meta">
          <Meta term="Secret id" value={<code>{secret.secretId}</code>} />
          <Meta term="Key name" value={<code>{secret.fieldName}</code>} />
          <Meta term="Provider" value={secret.provider ?? "—"} />
          <Meta term="Model" value={secret.model ?? "—"} />
          <Meta term="Masked value" value={<code>{maskOf(secret)}</code>} />
          <Meta term="Scope" value={scopeLabel(secret.isShared)} />
          <Meta term="State" value={stateLabel(secret.state)} />
          <Meta term="Value version" value={String(secret.version)} />
          <Meta term="Auth settings" value={Object.entries(secret.authConfig).map(([k, v]) => `${k}=${v}`).join(", ") || "—"} />
          <Meta term="Created" value={`${formatTime(secret.createdAt)} by ${secret.createdBy}`} />
          <Meta term="Last updated" value={`${formatTime(secret.lastUpdatedAt)} by ${secret.lastUpdatedBy}`} />
        </dl>
      </section>
      <section aria-labelledby="drawer-versions">
        <h3 id="drawer-versions">Value versions</h3>
        <SecretVersions secretId={secret.secretId} />
      </section>
      <section aria-labelledby="drawer-bindings">
        <h3 id="drawer-bindings">Bindings</h3>
        {bindings.error ? (
          <ErrorNotice error={bindings.error} doing="Loading bindings" />
        ) : !bindings.complete ? (
          <Loading what="bindings" />
        ) : (
          <BindingsTable bindings={bindings.items} secretNames={new Map([[secret.secretId, secret.secretName]])} emptyText="Not bound to any resource." />
        )}
      </section>
      {mayModify(session, secret) && secret.state === SecretState.ACTIVE && <RevokeSection secret={secret} />}
      {hasRole(session, "admin") && (
        <section aria-labelledby="drawer-audit">
          <h3 id="drawer-audit">Recent audit events</h3>
          <AuditEventsTable filter={{ secretId: secret.secretId }} pageSize={10} />
        </section>
      )}
    </Dialog>
  );
}

function RevokeSection({ secret }: { secret: Secret }) {
  const [confirming, setConfirming] = useState(false);
  const revoke = useConsoleMutation(SecretsService.method.revokeSecret, { doing: `Revoking ${secret.secretName}`, success: () => `Revoked secret ${secret.secretName}.` });
  return (
    <section aria-labelledby="drawer-revoke">
      <h3 id="drawer-revoke">Revoke</h3>
      <p className="help">A revoked secret keeps its metadata and bindings, but its value is never handed out again.</p>
      {!confirming ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Revoke…
        </button>
      ) : (
        <div className="buttons">
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
          <button type="button" className="danger" data-autofocus onClick={() => revoke.mutate({ secretId: secret.secretId })} disabled={revoke.isPending}>
            Revoke {secret.secretName}
          </button>
        </div>
      )}
    </section>
  );
}
