import type { ServiceImpl } from "@connectrpc/connect";
import type { SecretsService as SecretsServiceDesc } from "../../gen/secrets/v1/service_pb.js";
import type { KeyringService } from "../secrets/keyring-service.js";
import type { ResourceAccess } from "../secrets/resource-access.js";
import type { SecretsService } from "../secrets/service.js";
import type { CredentialRules } from "../secrets/credential-rules.js";
import { callerOf } from "./context.js";
import { providerCheckOf, valueOf } from "./provider-check.js";
import { auditEventToProto, bindingToProto, resolvedToProto, resourceAccessToProto, secretToProto, versionToProto } from "./converters.js";

/** Thin handlers: read the caller, call the domain, convert. */
export function secretsHandlers(secrets: SecretsService, keyring: KeyringService, resources: ResourceAccess, rules: CredentialRules): ServiceImpl<typeof SecretsServiceDesc> {
  return {
    async createAndBindSecret(req, ctx) {
      const { secret, binding } = await secrets.createSecret(callerOf(ctx), req, {
        resourceType: req.resourceType,
        resourceId: req.resourceId,
        fieldName: req.fieldName,
      });
      return { secret: secretToProto(secret), binding: binding && bindingToProto(binding), providerCheck: providerCheckOf(rules, secret, valueOf(req)) };
    },

    async createSecret(req, ctx) {
      const { secret } = await secrets.createSecret(callerOf(ctx), req);
      return { secret: secretToProto(secret), providerCheck: providerCheckOf(rules, secret, valueOf(req)) };
    },

    async getSecret(req, ctx) {
      const lookup = req.secretId ? { secretId: req.secretId } : { secretName: req.secretName, isShared: req.isShared };
      return { secret: secretToProto(await secrets.getSecret(callerOf(ctx), lookup)) };
    },

    async listSecrets(req, ctx) {
      const page = await secrets.listSecrets(callerOf(ctx), { isShared: req.isShared, provider: req.provider }, req);
      return { secrets: page.items.map(secretToProto), nextPageToken: page.nextPageToken };
    },

    async listSecretVersions(req, ctx) {
      const versions = await secrets.listVersions(callerOf(ctx), req.secretId);
      return { versions: versions.map(versionToProto) };
    },

    async updateSecret(req, ctx) {
      const secret = await secrets.updateSecret(callerOf(ctx), req);
      return { secret: secretToProto(secret), providerCheck: providerCheckOf(rules, secret, valueOf(req)) };
    },

    async revokeSecret(req, ctx) {
      return { secret: secretToProto(await secrets.revokeSecret(callerOf(ctx), req.secretId)) };
    },

    async deleteSecret(req, ctx) {
      await secrets.deleteSecret(callerOf(ctx), req.secretId);
      return {};
    },

    async bindSecret(req, ctx) {
      return { binding: bindingToProto(await secrets.bindSecret(callerOf(ctx), req.secretId, req)) };
    },

    async unbindSecret(req, ctx) {
      const { bindingId, resourceType, resourceId, fieldName } = req;
      await secrets.unbindSecret(callerOf(ctx), bindingId ? { bindingId } : { resourceType, resourceId, fieldName });
      return {};
    },

    async getBinding(req, ctx) {
      return { binding: bindingToProto(await secrets.getBinding(callerOf(ctx), req.bindingId)) };
    },

    async listBindings(req, ctx) {
      const filter = { resourceType: req.resourceType, resourceId: req.resourceId, secretId: req.secretId };
      const page = await secrets.listBindings(callerOf(ctx), filter, req);
      return { bindings: page.items.map(bindingToProto), nextPageToken: page.nextPageToken };
    },

    async resolveResourceSecrets(req, ctx) {
      const resolved = await secrets.resolveResourceSecrets(callerOf(ctx), req.resourceType, req.resourceId, req.fieldName);
      return { secrets: resolved.map(resolvedToProto) };
    },

    async listAuditEvents(req, ctx) {
      const filter = {
        principal: req.principal,
        secretId: req.secretId,
        action: req.action,
        from: req.startTime === undefined ? undefined : new Date(Number(req.startTime)),
        to: req.endTime === undefined ? undefined : new Date(Number(req.endTime)),
      };
      const page = await secrets.listAuditEvents(callerOf(ctx), filter, req);
      return { events: page.items.map(auditEventToProto), nextPageToken: page.nextPageToken };
    },

    async getKeyringStatus(_req, ctx) {
      const status = await keyring.status(callerOf(ctx));
      return { activeVersion: status.activeVersion, versions: status.versions.map((v) => ({ ...v, valueCount: BigInt(v.valueCount) })) };
    },

    async getResourceAccess(req, ctx) {
      return { resourceAccess: resourceAccessToProto(await resources.get(callerOf(ctx), req)) };
    },

    async grantResourceAccess(req, ctx) {
      return { resourceAccess: resourceAccessToProto(await resources.grant(callerOf(ctx), req, req.principal)) };
    },

    async revokeResourceAccess(req, ctx) {
      return { resourceAccess: resourceAccessToProto(await resources.revoke(callerOf(ctx), req, req.principal)) };
    },

    async transferResourceOwnership(req, ctx) {
      return { resourceAccess: resourceAccessToProto(await resources.transfer(callerOf(ctx), req, req.newOwner)) };
    },
  };
}
