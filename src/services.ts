import { AuditLog } from "./audit/audit-log.js";
import { AuditRetention } from "./audit/audit-retention.js";
import { ApiTokens } from "./auth/api-tokens.js";
import { EnvelopeCipher } from "./crypto/envelope.js";
import type { Keyring } from "./crypto/keyring.js";
import { RequestMac } from "./crypto/request-mac.js";
import { type KekSource, openKeyring } from "./secrets/keyring-loader.js";
import { KeyringService } from "./secrets/keyring-service.js";
import { ConfigResolver } from "./gateway/resolver.js";
import { ProviderCatalog } from "./providers/catalog.js";
import { CatalogService } from "./providers/catalog-service.js";
import { CatalogCredentialRules } from "./providers/credential-check.js";
import { ProviderKeys } from "./providers/provider-keys.js";
import { GatewayService } from "./gateway/service.js";
import { AuditedCalls } from "./secrets/audited-calls.js";
import { type QuotaLimits, Quotas } from "./secrets/quotas.js";
import { RateLimiter } from "./secrets/rate-limiter.js";
import { ResourceAccess } from "./secrets/resource-access.js";
import { SecretsService } from "./secrets/service.js";
import { TokenService } from "./secrets/token-service.js";
import { AuditStore } from "./store/audit-store.js";
import { type Database, openDatabase } from "./store/database.js";
import { GatewayStore } from "./store/gateway-store.js";
import { ProviderKeyStore } from "./store/provider-key-store.js";
import { KekStore } from "./store/kek-store.js";
import { ResourceStore } from "./store/resource-store.js";
import { SecretsStore } from "./store/secrets-store.js";
import { TokenStore } from "./store/token-store.js";

export interface ServicesOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  kek: KekSource;
  versionRetention?: number;
  dbPoolSize?: number;
  /** PGlite's buffer pool, MB; default 16. */
  pgliteSharedBuffersMb?: number;
  tokenCacheTtlMs?: number;
  /** ResolveResourceSecrets per principal: sustained rate and burst. */
  resolveRate?: { ratePerSecond: number; burst: number };
  allowPrivateApiBase?: boolean;
  /** Told when buffered audit events could not be written (they are kept and retried). */
  onAuditFlushError?: (err: unknown, pending: number) => void;
  /** Per-principal quotas; default DEFAULT_QUOTAS. */
  quotas?: QuotaLimits;
  /** Set: audit events older than this are pruned once `auditRetention.start()` is called. */
  auditRetention?: { days: number; onPruned?: (deleted: number, cutoff: Date) => void; onError?: (err: unknown) => void };
}

/** Everything the protocols serve, wired once: the composition root shared by the server, the CLI and tests. */
export interface Services {
  database: Database;
  keyring: Keyring;
  kekStore: KekStore;
  store: SecretsStore;
  secrets: SecretsService;
  resources: ResourceAccess;
  keyringService: KeyringService;
  audit: AuditLog;
  /** Present when a retention is configured; started by the server, not by the CLI. */
  auditRetention: AuditRetention | undefined;
  tokenStore: TokenStore;
  apiTokens: ApiTokens;
  tokens: TokenService;
  gateway: GatewayService;
  configResolver: ConfigResolver;
  catalog: ProviderCatalog;
  catalogService: CatalogService;
  credentialRules: CatalogCredentialRules;
  providerKeys: ProviderKeys;
  close(): Promise<void>;
}

export async function openServices(options: ServicesOptions): Promise<Services> {
  const database = await openDatabase({ url: options.databaseUrl, dataDir: options.dataDir, poolSize: options.dbPoolSize, pgliteSharedBuffersMb: options.pgliteSharedBuffersMb });
  try {
    const kekStore = new KekStore(database.db);
    const keyring = await openKeyring(options.kek, kekStore);
    const store = new SecretsStore(database.db, new EnvelopeCipher(keyring), options.versionRetention);
    const tokenStore = new TokenStore(database.db);
    const auditStore = new AuditStore();
    const audit = new AuditLog({ store: auditStore, db: database.db, onFlushError: options.onAuditFlushError, gatherDurable: database.kind === "pglite" });
    const calls = new AuditedCalls({ audit, transaction: (fn) => store.transaction(fn) });
    const resources = new ResourceAccess({ store: new ResourceStore(), calls, db: database.db });
    const apiTokens = new ApiTokens({ store: tokenStore, cacheTtlMs: options.tokenCacheTtlMs });
    const retention = options.auditRetention;
    const auditRetention = retention && new AuditRetention({ db: database.db, store: auditStore, audit, retentionDays: retention.days, onPruned: retention.onPruned, onError: retention.onError });
    const catalog = new ProviderCatalog();
    const credentialRules = new CatalogCredentialRules(catalog);
    const secrets = new SecretsService({
        store,
        requestMac: new RequestMac(keyring),
        audit,
        auditStore,
        resolveLimiter: new RateLimiter(options.resolveRate ?? { ratePerSecond: 100, burst: 200 }),
        calls,
        resources,
        allowPrivateApiBase: options.allowPrivateApiBase,
        quotas: new Quotas(store, options.quotas),
        credentialRules,
      });
    const gatewayStore = new GatewayStore();
    const providerKeyStore = new ProviderKeyStore();
    const providerKeys = new ProviderKeys({ store: providerKeyStore, catalog, secrets, calls, db: database.db });
    const canonicalProvider = (p: string) => providerKeys.canonical(p);
    return {
      database,
      keyring,
      kekStore,
      store,
      secrets,
      gateway: new GatewayService({ store: gatewayStore, secrets, resources, calls, db: database.db, canonicalProvider }),
      configResolver: new ConfigResolver({ store: gatewayStore, providerKeyStore, providerKeys, secrets, calls, db: database.db }),
      catalog,
      catalogService: new CatalogService(catalog, calls),
      credentialRules,
      providerKeys,
      resources,
      keyringService: new KeyringService(keyring, kekStore, audit),
      audit,
      auditRetention,
      tokenStore,
      apiTokens,
      tokens: new TokenService({ apiTokens, store: tokenStore, calls }),
      close: async () => {
        await auditRetention?.stop();
        await audit.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
}
