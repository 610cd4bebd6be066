import type { ComponentType } from "react";
import { AuditPage } from "./audit/audit-page.js";
import { BindingsPage } from "./bindings/bindings-page.js";
import { ApiKeysPage } from "./gateway/api-keys-page.js";
import { EndpointsPage } from "./gateway/endpoints-page.js";
import { ModelDefinitionsPage } from "./gateway/model-definitions-page.js";
import { KeysPage } from "./keys/keys-page.js";
import { ProviderKeysPage } from "./providers/provider-keys-page.js";
import { SecretsPage } from "./secrets/secrets-page.js";
import { TokensPage } from "./tokens/tokens-page.js";
import { type Role, type Session, hasRole } from "./session.js";

export interface PageEntry {
  route: string;
  title: string;
  component: ComponentType;
  /** Only principals with this role see the page at all (the service refuses everyone else anyway). */
  role?: Role;
}

export const PAGES: readonly PageEntry[] = [
  { route: "secrets", title: "Secrets", component: SecretsPage },
  { route: "bindings", title: "Bindings", component: BindingsPage },
  { route: "gateway/api-keys", title: "API keys", component: ApiKeysPage },
  { route: "gateway/endpoints", title: "Endpoints", component: EndpointsPage },
  { route: "gateway/model-definitions", title: "Model definitions", component: ModelDefinitionsPage },
  { route: "provider-keys", title: "Provider keys", component: ProviderKeysPage },
  { route: "tokens", title: "Tokens", component: TokensPage },
  { route: "audit", title: "Audit", component: AuditPage, role: "admin" },
  { route: "keys", title: "Keys", component: KeysPage, role: "admin" },
];

export function pagesFor(session: Pick<Session, "roles">): PageEntry[] {
  return PAGES.filter((p) => !p.role || hasRole(session, p.role));
}
