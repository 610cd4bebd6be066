import type { ServiceImpl } from "@connectrpc/connect";
import type { SecretsService as SecretsServiceDesc } from "../../gen/secrets/v1/service_pb.js";
import type { SecretsService } from "../secrets/service.js";
import { principalOf } from "./context.js";
import { bindingToProto, resolvedToProto, secretToProto } from "./converters.js";

/** Thin handlers: read the caller, call the domain, convert. */
export function secretsHandlers(secrets: SecretsService): ServiceImpl<typeof SecretsServiceDesc> {
  return {
    async createAndBindSecret(req, ctx) {
      const { secret, binding } = await secrets.createSecret(principalOf(ctx), req, {
        resourceType: req.resourceType,
        resourceId: req.resourceId,
        fieldName: req.fieldName,
      });
      return { secret: secretToProto(secret), binding: binding && bindingToProto(binding) };
    },

    async createSecret(req, ctx) {
      const { secret } = await secrets.createSecret(principalOf(ctx), req);
      return { secret: secretToProto(secret) };
    },

    async getSecret(req, ctx) {
      const lookup = req.secretId ? { secretId: req.secretId } : { secretName: req.secretName, isShared: req.isShared };
      return { secret: secretToProto(await secrets.getSecret(principalOf(ctx), lookup)) };
    },

    async listSecrets(req, ctx) {
      const page = await secrets.listSecrets(principalOf(ctx), { isShared: req.isShared, provider: req.provider }, req);
      return { secrets: page.items.map(secretToProto), nextPageToken: page.nextPageToken };
    },

    async updateSecret(req, ctx) {
      return { secret: secretToProto(await secrets.updateSecret(principalOf(ctx), req)) };
    },

    async revokeSecret(req, ctx) {
      return { secret: secretToProto(await secrets.revokeSecret(principalOf(ctx), req.secretId)) };
    },

    async deleteSecret(req, ctx) {
      await secrets.deleteSecret(principalOf(ctx), req.secretId);
      return {};
    },

    async bindSecret(req, ctx) {
      return { binding: bindingToProto(await secrets.bindSecret(principalOf(ctx), req.secretId, req)) };
    },

    async unbindSecret(req, ctx) {
      const { bindingId, resourceType, resourceId, fieldName } = req;
      await secrets.unbindSecret(principalOf(ctx), bindingId ? { bindingId } : { resourceType, resourceId, fieldName });
      return {};
    },

    async getBinding(req, ctx) {
      return { binding: bindingToProto(await secrets.getBinding(principalOf(ctx), req.bindingId)) };
    },

    async listBindings(req, ctx) {
      const filter = { resourceType: req.resourceType, resourceId: req.resourceId, secretId: req.secretId };
      const page = await secrets.listBindings(principalOf(ctx), filter, req);
      return { bindings: page.items.map(bindingToProto), nextPageToken: page.nextPageToken };
    },

    async resolveResourceSecrets(req, ctx) {
      const resolved = await secrets.resolveResourceSecrets(principalOf(ctx), req.resourceType, req.resourceId, req.fieldName);
      return { secrets: resolved.map(resolvedToProto) };
    },
  };
}
