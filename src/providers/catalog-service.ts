import type { Caller } from "../auth/principal.js";
import type { AuditedCalls } from "../secrets/audited-calls.js";
import { notFound } from "../secrets/errors.js";
import { requireText } from "../secrets/validation.js";
import type { CatalogModel, CatalogProvider, ModelFilter, ProviderCatalog } from "./catalog.js";

/** The catalog through the API: authorized and audited like every call, though it holds nothing secret. */
export class CatalogService {
  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly calls: AuditedCalls,
  ) {}

  providers(caller: Caller): Promise<CatalogProvider[]> {
    return this.calls.read(caller, "ListProviders", {}, async () => this.catalog.providers());
  }

  providerIds(caller: Caller): Promise<string[]> {
    return this.calls.read(caller, "ListSupportedProviders", {}, async () => this.catalog.providers().map((p) => p.id));
  }

  provider(caller: Caller, id: string): Promise<CatalogProvider> {
    return this.calls.read(caller, "GetProvider", { resourceType: "PROVIDER", resourceId: id }, async () => {
      const found = this.catalog.provider(requireText("provider", id, 64));
      if (!found) throw notFound(`provider ${id} is not in the catalog`);
      return found;
    });
  }

  models(caller: Caller, filter: ModelFilter): Promise<CatalogModel[]> {
    return this.calls.read(caller, "ListModels", { resourceType: "PROVIDER", resourceId: filter.provider }, async () => {
      if (filter.provider !== undefined && !this.catalog.provider(filter.provider)) throw notFound(`provider ${filter.provider} is not in the catalog`);
      return this.catalog.models(filter);
    });
  }
}
