import { useQuery } from "@connectrpc/connect-query";
import { type AuthMode, type Provider, ProviderService } from "../../../gen/secrets/v1/providers_pb.js";

/** The provider catalog changes only with a new release of the service: loaded once per sign-in. */
export function useProviderCatalog() {
  const list = useQuery(ProviderService.method.listProviders, {}, { staleTime: Infinity });
  const providers = list.data?.providers ?? [];
  return {
    pending: list.isPending,
    error: list.error,
    providers,
    find: (id: string | undefined): Provider | undefined => (id ? providers.find((p) => p.providerId === id.trim().toLowerCase()) : undefined),
  };
}

/** The catalog's models of one provider (none for a provider outside the catalog, whose model is free text). */
export function useProviderModels(provider: Provider | undefined) {
  return useQuery(ProviderService.method.listModels, { provider: provider?.providerId }, { enabled: provider !== undefined && provider.modelCount > 0, staleTime: Infinity });
}

export function defaultModeOf(provider: Provider): AuthMode {
  return provider.authModes.find((m) => m.mode === provider.defaultMode) ?? provider.authModes[0]!;
}

export function modeOf(provider: Provider, mode: string | undefined): AuthMode {
  return provider.authModes.find((m) => m.mode === mode) ?? defaultModeOf(provider);
}

/**
 * The variable a key usually goes in: the catalog's for a provider it
 * knows, else what the service itself defaults to (<PROVIDER>_API_KEY).
 */
export function defaultEnvVar(providerName: string, provider: Provider | undefined): string {
  if (provider?.defaultEnvVar) return provider.defaultEnvVar;
  const p = providerName.trim().toUpperCase().replace(/[^A-Z0-9]+/g, "_");
  return p ? `${p}_API_KEY` : "";
}
