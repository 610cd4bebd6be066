import { useQuery } from "@connectrpc/connect-query";
import { GatewayService } from "../../../gen/secrets/v1/gateway_pb.js";
import { SecretsService } from "../../../gen/secrets/v1/service_pb.js";

/** At most the API's largest page: a secret bound in more places than that is told as "1000 or more". */
export const USAGE_PAGE = 1000;

/** The resources a secret is bound to. */
export function useSecretBindings(secretId: string) {
  return useQuery(SecretsService.method.listBindings, { secretId, pageSize: USAGE_PAGE });
}

/** The gateway model definitions that use a secret (deleting the secret orphans them). */
export function useSecretModelDefinitions(secretId: string) {
  return useQuery(GatewayService.method.listModelDefinitions, { secretId, pageSize: USAGE_PAGE });
}
