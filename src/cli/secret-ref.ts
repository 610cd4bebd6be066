import type { Secret } from "../../gen/secrets/v1/service_pb.js";
import type { SecretsClient } from "../client/secrets-client.js";

// Secret ids are UUIDs; anything else is a name.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A secret named by id or by name. The server's name lookup decides which
 * secret a name means: the caller's private one first, then the shared one;
 * admins also find other owners' private secrets, and an ambiguous name is
 * refused with the owners listed.
 */
export async function secretOf(client: SecretsClient, ref: string): Promise<Secret> {
  return (await client.getSecret(UUID.test(ref) ? { secretId: ref } : { secretName: ref })).secret!;
}

export async function secretIdOf(client: SecretsClient, ref: string): Promise<string> {
  return UUID.test(ref) ? ref : (await secretOf(client, ref)).secretId;
}
