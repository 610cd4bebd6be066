import { GatewayService } from "../../../gen/secrets/v1/gateway_pb.js";
import { SecretsService } from "../../../gen/secrets/v1/service_pb.js";
import { useAllPages } from "../ui/use-all-pages.js";

/** Every resource a secret is bound to (all pages: a warning that counts them must count them all). */
export function useSecretBindings(secretId: string) {
  return useAllPages(SecretsService.method.listBindings, { secretId }, (p) => p.bindings);
}

/** Every gateway model definition that uses a secret (deleting the secret orphans them). */
export function useSecretModelDefinitions(secretId: string) {
  return useAllPages(GatewayService.method.listModelDefinitions, { secretId }, (p) => p.modelDefinitions);
}

/** Every secret the caller can see, for pickers and name lookups (the Secrets page itself pages). */
export function useAllSecrets(filter: { isShared?: boolean } = {}) {
  return useAllPages(SecretsService.method.listSecrets, filter, (p) => p.secrets);
}
