import type { ServiceImpl } from "@connectrpc/connect";
import type { TokenService as TokenServiceDesc } from "../../gen/secrets/v1/tokens_pb.js";
import type { TokenService } from "../secrets/token-service.js";
import { callerOf } from "./context.js";
import { apiTokenToProto } from "./converters.js";

/** Thin handlers: read the caller, call the domain, convert. */
export function tokenHandlers(tokens: TokenService): ServiceImpl<typeof TokenServiceDesc> {
  return {
    async createApiToken(req, ctx) {
      const issued = await tokens.create(callerOf(ctx), {
        name: req.name,
        roles: req.roles,
        ttlSeconds: Number(req.ttlSeconds),
        expiresAt: req.expiresAt === undefined ? undefined : Number(req.expiresAt),
        description: req.description,
        samePrincipal: req.samePrincipal,
      });
      return { token: issued.token, apiToken: apiTokenToProto(issued.record) };
    },

    async listApiTokens(req, ctx) {
      const page = await tokens.list(callerOf(ctx), { name: req.name, includeInactive: req.includeInactive }, req);
      return { apiTokens: page.items.map(apiTokenToProto), nextPageToken: page.nextPageToken };
    },

    async revokeApiToken(req, ctx) {
      return { apiToken: apiTokenToProto(await tokens.revoke(callerOf(ctx), req.tokenId)) };
    },

    async whoAmI(_req, ctx) {
      const me = await tokens.whoAmI(callerOf(ctx));
      const credential = me.credential;
      return {
        principal: me.subject,
        roles: [...me.roles],
        authenticatedBy: credential?.kind ?? "",
        tokenId: credential?.kind === "api_token" ? credential.id : "",
        jwtIssuer: credential?.kind === "jwt" ? credential.issuer : "",
        expiresAt: BigInt(credential?.expiresAt ?? 0),
      };
    },
  };
}
