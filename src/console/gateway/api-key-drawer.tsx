import { useId, useState } from "react";
import type { Endpoint, GatewaySecretInfo } from "../../../gen/secrets/v1/gateway_pb.js";
import { formatTime } from "../format.js";
import { AUTH_MODE_KEY } from "../providers/auth-mode-fields.js";
import { modeOf, useProviderCatalog } from "../providers/use-catalog.js";
import { Dialog } from "../ui/dialog.js";
import { Meta } from "../ui/meta.js";
import { ErrorNotice, Loading } from "../ui/states.js";
import { EndpointDetailsDrawer } from "./endpoint-details-drawer.js";
import { KeyEndpointsTable, KeyResourcesTable } from "./key-usage-tables.js";
import type { useGatewayUsage } from "./use-gateway-usage.js";

interface Props {
  secret: GatewaySecretInfo;
  usage: ReturnType<typeof useGatewayUsage>;
  /** Offered only to who may change the key; they open the page's own dialogs over the drawer. */
  onEdit?: () => void;
  onDelete?: () => void;
  onClose: () => void;
}

/**
 * MLflow's API key details: what the key is (never its value: masks
 * only), what depends on it, and what can be done with it. An endpoint
 * opens its own drawer over this one; closing that comes back here.
 */
export function ApiKeyDrawer({ secret, usage, onEdit, onDelete, onClose }: Props) {
  const id = useId();
  const catalog = useProviderCatalog();
  const [endpoint, setEndpoint] = useState<Endpoint>();
  const entry = catalog.find(secret.provider);
  const modeName = secret.authConfig[AUTH_MODE_KEY];
  const mode = entry ? modeOf(entry, modeName) : undefined;
  const settings = Object.entries(secret.authConfig).filter(([k]) => k !== AUTH_MODE_KEY);
  const masks = Object.entries(secret.maskedValues);
  const used = usage.usageOf(secret.secretId);
  const tables = { keyName: secret.secretName, usage: used, onOpenEndpoint: setEndpoint };
  const whileCounting = usage.error ? <ErrorNotice error={usage.error} doing="Loading what uses the key" /> : usage.pending ? <Loading what="what uses the key" /> : undefined;
  return (
    <>
      <Dialog title={`API key ${secret.secretName}`} onClose={onClose} variant="drawer">
        <section aria-labelledby={`${id}-meta`}>
          <h3 id={`${id}-meta`}>Metadata</h3>
          <dl className="meta">
            <Meta term="Key id" value={<code>{secret.secretId}</code>} />
            <Meta term="Provider" value={entry ? `${entry.displayName} (${entry.providerId})` : secret.provider || "—"} />
            <Meta term="Auth mode" value={mode ? `${mode.displayName} (${mode.mode})` : modeName || "—"} />
            <Meta
              term="Masked values"
              value={
                masks.length === 0 ? (
                  "—"
                ) : (
                  <ul className="plain" aria-label="Masked values">
                    {masks.map(([field, mask]) => (
                      <li key={field}>
                        {field === "value" ? "" : `${field}: `}
                        <code>{mask}</code>
                      </li>
                    ))}
                  </ul>
                )
              }
            />
            <Meta term="Settings" value={settings.length === 0 ? "— (provider defaults)" : settings.map(([k, v]) => `${k}=${v}`).join(", ")} />
            <Meta term="Created" value={`${formatTime(secret.createdAt)} by ${secret.createdBy || "—"}`} />
            <Meta term="Last updated" value={`${formatTime(secret.lastUpdatedAt)} by ${secret.lastUpdatedBy || "—"}`} />
          </dl>
        </section>
        <section aria-labelledby={`${id}-endpoints`}>
          <h3 id={`${id}-endpoints`}>Endpoints using it{whileCounting ? "" : ` (${used.endpoints.length})`}</h3>
          {whileCounting ?? <KeyEndpointsTable {...tables} />}
        </section>
        <section aria-labelledby={`${id}-resources`}>
          <h3 id={`${id}-resources`}>Resources those endpoints serve{whileCounting ? "" : ` (${used.bindings.length})`}</h3>
          {whileCounting ?? <KeyResourcesTable {...tables} />}
        </section>
        {(onEdit || onDelete) && (
          <section aria-labelledby={`${id}-actions`}>
            <h3 id={`${id}-actions`}>Actions</h3>
            <div className="buttons">
              {onEdit && (
                <button type="button" onClick={onEdit}>
                  Edit key
                </button>
              )}
              {onDelete && (
                <button type="button" className="danger" onClick={onDelete}>
                  Delete key…
                </button>
              )}
            </div>
          </section>
        )}
      </Dialog>
      {endpoint && <EndpointDetailsDrawer endpoint={endpoint} onClose={() => setEndpoint(undefined)} />}
    </>
  );
}
