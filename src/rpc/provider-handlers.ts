import type { ServiceImpl } from "@connectrpc/connect";
import type { ProviderService as ProviderServiceDesc } from "../../gen/secrets/v1/providers_pb.js";
import type { CatalogService } from "../providers/catalog-service.js";
import type { ProviderKeys } from "../providers/provider-keys.js";
import type { CredentialRules } from "../secrets/credential-rules.js";
import { invalid } from "../secrets/errors.js";
import { callerOf } from "./context.js";
import { providerCheckOf, valueOf } from "./provider-check.js";
import { authModeToProto, modelToProto, providerKeyToProto, providerToProto } from "./provider-converters.js";

/** Thin handlers: read the caller, call the domain, convert. */
export function providerHandlers(catalog: CatalogService, keys: ProviderKeys, rules: CredentialRules): ServiceImpl<typeof ProviderServiceDesc> {
  return {
    async listProviders(_req, ctx) {
      return { providers: (await catalog.providers(callerOf(ctx))).map(providerToProto) };
    },
    async listSupportedProviders(_req, ctx) {
      return { providers: await catalog.providerIds(callerOf(ctx)) };
    },
    async getProvider(req, ctx) {
      const p = await catalog.provider(callerOf(ctx), req.provider);
      return { providerInfo: providerToProto(p), authModes: p.authModes.map(authModeToProto), defaultMode: p.defaultMode };
    },
    async listModels(req, ctx) {
      const models = await catalog.models(callerOf(ctx), {
        provider: req.provider,
        supportsTools: req.supportsFunctionCalling,
        supportsVision: req.supportsVision,
        supportsReasoning: req.supportsReasoning,
        query: req.query,
      });
      return { models: models.map(modelToProto) };
    },
    async setProviderKey(req, ctx) {
      let key;
      switch (req.key.case) {
        case "secretId":
          key = { secretId: req.key.value };
          break;
        case "newSecret":
          key = { newSecret: req.key.value };
          break;
        default:
          throw invalid("give secret_id or new_secret");
      }
      const set = await keys.set(callerOf(ctx), { provider: req.provider, key, isShared: req.isShared });
      const s = req.key.case === "newSecret" ? req.key.value : undefined;
      const providerCheck = providerCheckOf(rules, { provider: set.provider, model: null, authConfig: s?.authConfig ?? {} }, s && valueOf(s));
      return { providerKey: providerKeyToProto(set), providerCheck };
    },
    async getProviderKey(req, ctx) {
      return { providerKey: providerKeyToProto(await keys.get(callerOf(ctx), req.provider, req.isShared)) };
    },
    async listProviderKeys(req, ctx) {
      return { providerKeys: (await keys.list(callerOf(ctx), req.principal)).map(providerKeyToProto) };
    },
    async deleteProviderKey(req, ctx) {
      await keys.delete(callerOf(ctx), req.provider, req.isShared, req.principal);
      return {};
    },
    async getProviderKeyStatus(_req, ctx) {
      return { providers: await keys.status(callerOf(ctx)) };
    },
  };
}
