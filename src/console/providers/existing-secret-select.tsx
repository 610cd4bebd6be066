import { useId } from "react";
import type { Provider } from "../../../gen/secrets/v1/providers_pb.js";
import { type Secret, SecretState } from "../../../gen/secrets/v1/service_pb.js";
import { scopeLabel } from "../format.js";
import { maskOf } from "../secrets/secret-columns.js";
import { useAllSecrets } from "../secrets/use-secret-usage.js";
import { ErrorNotice, Loading } from "../ui/states.js";
import { useProviderCatalog } from "./use-catalog.js";

/**
 * The secrets SetProviderKey accepts for this provider: every secret the
 * caller can list is one it may use (the service's `see` and `bind` rules
 * are the same), so what is left out is what the service would refuse —
 * revoked secrets, another provider's, and for the shared key a private one.
 */
function usable(secret: Secret, provider: Provider, shared: boolean, canonical: (p: string) => string | undefined): boolean {
  if (secret.state !== SecretState.ACTIVE || (shared && !secret.isShared)) return false;
  return !secret.provider || canonical(secret.provider) === provider.providerId;
}

export function ExistingSecretSelect({ provider, shared, name }: { provider: Provider; shared: boolean; name: string }) {
  const id = useId();
  const catalog = useProviderCatalog();
  const secrets = useAllSecrets(shared ? { isShared: true } : {});
  if (secrets.error) return <ErrorNotice error={secrets.error} doing="Loading your secrets" />;
  if (!secrets.complete) return <Loading what="the secrets you may use" />;
  const choices = secrets.items.filter((s) => usable(s, provider, shared, (p) => catalog.find(p)?.providerId));
  if (choices.length === 0) {
    return <p className="help">{shared ? "No active shared secret of this provider (or of none): create a new one instead." : "No active secret of this provider (or of none) that you may use: create a new one instead."}</p>;
  }
  return (
    <>
      <label htmlFor={`${id}-secret`}>Secret</label>
      <select id={`${id}-secret`} name={name} required defaultValue="">
        <option value="" disabled>
          Choose a secret
        </option>
        {choices.map((s) => (
          <option key={s.secretId} value={s.secretId}>
            {s.secretName} ({scopeLabel(s.isShared).toLowerCase()}, {s.provider || "no provider"}, {maskOf(s)})
          </option>
        ))}
      </select>
      <p className="help">The key points at the secret: a new value given to it later reaches every model on this key at once.</p>
    </>
  );
}
