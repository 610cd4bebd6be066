import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialSource, GatewayService, UnavailableReason } from "../gen/secrets/v1/gateway_pb.js";
import { ProviderService } from "../gen/secrets/v1/providers_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { sqlRows } from "./support/database.js";
import { as, outcome } from "./support/calls.js";
import { type TestServer, startTestServer } from "./support/server.js";

/** The provider catalog, validated credentials, and provider keys with per-model fallback, against a real server. */

let t: TestServer;
const tokens = {} as Record<"alice" | "bob" | "carol" | "service", string>;
let providers: ReturnType<typeof createClient<typeof ProviderService>>;
let gateway: ReturnType<typeof createClient<typeof GatewayService>>;
let secrets: ReturnType<typeof createClient<typeof SecretsService>>;
const VALUES = { alice: "sk-alice-openai-provider-key-001", aliceRotated: "sk-alice-openai-provider-key-002", bob: "sk-bob-openai-provider-key-00001", shared: "sk-ant-shared-provider-key-00001", own: "sk-model-own-secret-value-000001" };

beforeAll(async () => {
  t = await startTestServer({ env: { SECRETS_RESOLVE_BURST: "100000" } });
  for (const name of ["alice", "bob", "carol"] as const) tokens[name] = await t.token("user", name);
  tokens.service = await t.token("service", "scorer");
  const transport = createGrpcTransport({ baseUrl: t.baseUrl });
  providers = createClient(ProviderService, transport);
  gateway = createClient(GatewayService, transport);
  secrets = createClient(SecretsService, transport);
});
afterAll(async () => {
  await t?.stop();
});


describe("the provider catalog", () => {
  it("comes from the catalog package, with the hand-written auth modes on top", async () => {
    const { providers: list } = await providers.listProviders({}, as(tokens.alice));
    const ids = list.map((p) => p.providerId);
    for (const id of ["openai", "azure", "anthropic", "bedrock", "gemini", "vertex_ai", "mistral", "cohere", "groq", "deepseek", "xai", "togetherai", "fireworks", "openrouter", "databricks", "openai_compatible"]) {
      expect(ids, id).toContain(id);
    }
    // From the package: names, docs, the usual variable, models with limits and prices.
    const openai = list.find((p) => p.providerId === "openai")!;
    expect(openai).toMatchObject({ displayName: "OpenAI", documentationUrl: "https://platform.openai.com/docs/models", defaultEnvVar: "OPENAI_API_KEY", defaultMode: "api_key" });
    expect(openai.modelCount).toBeGreaterThan(10);
    // Providers only the package knows get the simple API-key mode, with the package's variable.
    expect(list.find((p) => p.providerId === "perplexity")).toMatchObject({ defaultEnvVar: "PERPLEXITY_API_KEY", authModes: [expect.objectContaining({ mode: "api_key" })] });
    expect(list.length).toBeGreaterThan(40);

    const { models } = await providers.listModels({ provider: "openai", query: "gpt-4.1" }, as(tokens.alice));
    const gpt41 = models.find((m) => m.model === "gpt-4.1")!;
    expect(gpt41).toMatchObject({ provider: "openai", displayName: "GPT-4.1", supportsFunctionCalling: true });
    expect(gpt41.contextWindow).toBeGreaterThan(100_000n);
    expect(gpt41.inputCostPerMillionTokens).toBeGreaterThan(0);
    const vision = await providers.listModels({ provider: "anthropic", supportsVision: true }, as(tokens.alice));
    expect(vision.models.length).toBeGreaterThan(0);
    expect(vision.models.every((m) => m.supportsVision)).toBe(true);

    // Hand-written: Bedrock's access keys with an optional session token, Vertex's service account.
    const { providerInfo, defaultMode, authModes } = await providers.getProvider({ provider: "amazon-bedrock" }, as(tokens.alice));
    expect(providerInfo!.providerId).toBe("bedrock");
    expect(defaultMode).toBe("access_keys");
    const keys = authModes.find((m) => m.mode === "access_keys")!;
    expect(keys.secretFields.map((f) => [f.name, f.required, f.envVar])).toEqual([
      ["aws_access_key_id", true, "AWS_ACCESS_KEY_ID"],
      ["aws_secret_access_key", true, "AWS_SECRET_ACCESS_KEY"],
      ["aws_session_token", false, "AWS_SESSION_TOKEN"],
    ]);
    expect(keys.configFields.map((f) => f.name)).toEqual(["aws_region_name"]);
    const vertex = await providers.getProvider({ provider: "vertex_ai" }, as(tokens.alice));
    expect(vertex.authModes[0]).toMatchObject({ mode: "service_account_json", secretFields: [expect.objectContaining({ name: "vertex_credentials" })] });
    expect(vertex.authModes[0]!.configFields.find((f) => f.name === "vertex_location")).toMatchObject({ default: "us-central1" });
    expect(await outcome(providers.getProvider({ provider: "nope" }, as(tokens.alice)))).toBe("NotFound: provider nope is not in the catalog");
  });

  it("is served at MLflow's routes in MLflow's shapes", async () => {
    const get = async (path: string) => (await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${tokens.alice}` } })).json() as Promise<Record<string, any>>;
    const supported = await get("/ajax-api/3.0/mlflow/gateway/supported-providers");
    expect(supported.providers).toEqual(expect.arrayContaining(["openai", "anthropic", "bedrock"]));
    expect(typeof supported.providers[0]).toBe("string");
    const config = await get("/ajax-api/3.0/mlflow/gateway/provider-config?provider=azure");
    expect(config.default_mode).toBe("api_key");
    expect(config.auth_modes[0].config_fields.map((f: { name: string; required: boolean }) => [f.name, f.required])).toEqual([
      ["api_base", true],
      ["api_version", true],
    ]);
    const models = await get("/api/3.0/mlflow/gateway/supported-models?provider=anthropic");
    expect(models.models[0]).toMatchObject({ provider: "anthropic", model: expect.any(String), supports_function_calling: expect.any(Boolean) });
  });
});

describe("credentials of a known provider are checked against its auth modes", () => {
  const create = (name: string, provider: string, value: { secretValue?: string; secretFields?: Record<string, string> }, authConfig: Record<string, string> = {}, model?: string) =>
    secrets.createSecret({ secretName: name, fieldName: "K", provider, model, authConfig, ...value }, as(tokens.carol));

  it.each([
    ["a missing required field", "bedrock", { secretFields: { aws_access_key_id: "AKIAEXAMPLEKEY0001" } }, { aws_region_name: "us-east-1" }, 'is missing the required field "aws_secret_access_key"'],
    ["an unknown field", "bedrock", { secretFields: { aws_access_key_id: "AKIAEXAMPLEKEY0001", aws_secret_access_key: "secret-0001", extra: "x-0000001" } }, { aws_region_name: "us-east-1" }, 'has no field "extra"'],
    ["a secret field in auth_config", "bedrock", { secretFields: { aws_access_key_id: "AKIAEXAMPLEKEY0001" } }, { aws_secret_access_key: "secret-0001" }, "must not hold credentials"],
    ["a missing required config field", "azure", { secretValue: "azure-key-000000000001" }, {}, 'is missing the required auth_config field "api_base"'],
    ["a multi-field value where one key is taken", "openai", { secretFields: { api_key: "sk-x-0000000001", other: "y-0000000001" } }, {}, 'has no field "other"'],
    ["an unknown auth mode", "bedrock", { secretValue: "br-key-000000000001" }, { auth_mode: "magic" }, "auth_config.auth_mode must be one of access_keys, api_key for bedrock"],
    ["a region but two secret fields given as one string", "bedrock", { secretValue: "one-string-00000001" }, { auth_mode: "access_keys", aws_region_name: "us-east-1" }, "needs the fields aws_access_key_id, aws_secret_access_key"],
  ] as Array<[string, string, { secretValue?: string; secretFields?: Record<string, string> }, Record<string, string>, string]>)("refuses %s", async (_what, provider, value, authConfig, message) => {
    const answer = await outcome(create(`bad-${Math.random().toString(36).slice(2)}`, provider, value, authConfig));
    expect(answer).toMatch(/^InvalidArgument: /);
    expect(answer).toContain(message);
    for (const v of [...Object.values(value.secretFields ?? {}), value.secretValue ?? "never"]) expect(answer).not.toContain(v);
  });

  it("accepts a fitting credential, names its auth mode, and flags an unknown provider or model", async () => {
    const bedrock = await create("bedrock-ok", "bedrock", { secretFields: { aws_access_key_id: "AKIAEXAMPLEKEY0001", aws_secret_access_key: "wJalrEXAMPLESECRET0001" } }, { aws_region_name: "eu-west-1" });
    expect(bedrock.providerCheck).toMatchObject({ catalogued: true, authMode: "access_keys" });
    const envNames = await create("bedrock-env-names", "bedrock", { secretFields: { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEKEY0002", AWS_SECRET_ACCESS_KEY: "wJalrEXAMPLESECRET0002" } }, { aws_region_name: "eu-west-1" });
    expect(envNames.providerCheck).toMatchObject({ catalogued: true, authMode: "access_keys" });
    const known = await create("known-model", "openai", { secretValue: "sk-known-model-000000001" }, {}, "gpt-4.1");
    expect(known.providerCheck).toMatchObject({ catalogued: true, modelCatalogued: true, authMode: "api_key" });
    const newModel = await create("new-model", "openai", { secretValue: "sk-new-model-0000000001" }, {}, "gpt-9-preview");
    expect(newModel.providerCheck).toMatchObject({ catalogued: true, modelCatalogued: false });
    const unknown = await create("in-house", "in-house-llm", { secretFields: { token: "anything-goes-0001", tenant: "t-1" } });
    expect(unknown.providerCheck).toMatchObject({ catalogued: false });
  });
});

describe("provider keys", () => {
  let aliceModels: string[];
  let bobModel: string;
  let ownSecretModel: string;

  it("a user sets a key once, creating its secret in the same call; a model definition without a secret uses it", async () => {
    const set = await providers.setProviderKey({ provider: "openai", key: { case: "newSecret", value: { secretName: "alice-openai", secretValue: VALUES.alice } } }, as(tokens.alice));
    expect(set.providerKey).toMatchObject({ provider: "openai", principal: "alice", isShared: false, secretName: "alice-openai", setBy: "alice" });
    expect(set.providerCheck).toMatchObject({ catalogued: true, authMode: "api_key" });
    // The secret is pre-filled with the provider's usual variable.
    expect((await secrets.getSecret({ secretName: "alice-openai" }, as(tokens.alice))).secret).toMatchObject({ fieldName: "OPENAI_API_KEY", provider: "openai", isShared: false });
    const bobSecret = (await secrets.createSecret({ secretName: "bob-openai", secretValue: VALUES.bob, fieldName: "OPENAI_API_KEY", provider: "openai" }, as(tokens.bob))).secret!.secretId;
    await providers.setProviderKey({ provider: "openai", key: { case: "secretId", value: bobSecret } }, as(tokens.bob));

    aliceModels = [];
    for (const model of ["gpt-4.1", "gpt-4o", "gpt-4.1-mini"]) {
      const def = await gateway.createModelDefinition({ name: `alice-${model}`, provider: "openai", modelName: model }, as(tokens.alice));
      expect(def.modelDefinition!.secretId).toBe("");
      aliceModels.push(def.modelDefinition!.modelDefinitionId);
    }
    bobModel = (await gateway.createModelDefinition({ name: "bob-gpt", provider: "openai", modelName: "gpt-4o" }, as(tokens.bob))).modelDefinition!.modelDefinitionId;
    const ownSecret = (await secrets.createSecret({ secretName: "own-secret", secretValue: VALUES.own, fieldName: "OPENAI_API_KEY", provider: "openai" }, as(tokens.alice))).secret!.secretId;
    ownSecretModel = (await gateway.createModelDefinition({ name: "alice-own", secretId: ownSecret, provider: "openai", modelName: "gpt-4o" }, as(tokens.alice))).modelDefinition!.modelDefinitionId;
    // A model definition's provider must be its secret's.
    expect(await outcome(gateway.createModelDefinition({ name: "mismatch", secretId: ownSecret, provider: "anthropic", modelName: "claude" }, as(tokens.alice)))).toMatch(/is for provider openai, not anthropic/);
  });

  it("resolution tries the model's secret, then its creator's key, then the shared key, and says which; with none, NO_CREDENTIAL says what to do", async () => {
    const ep = (
      await gateway.createEndpoint(
        { name: "alice-ep", modelConfigs: [...aliceModels, ownSecretModel].map((id) => ({ modelDefinitionId: id })) },
        as(tokens.alice),
      )
    ).endpoint!;
    await gateway.createEndpointBinding({ endpointId: ep.endpointId, resourceType: "SCORER_JOB", resourceId: "alice-job" }, as(tokens.alice));
    const { config } = await gateway.getEndpointConfig({ endpointName: "alice-ep" }, as(tokens.service));
    expect(config!.models.map((m) => [m.name, m.value, m.credentialSource])).toEqual([
      ["alice-gpt-4.1", VALUES.alice, CredentialSource.PROVIDER_KEY],
      ["alice-gpt-4o", VALUES.alice, CredentialSource.PROVIDER_KEY],
      ["alice-gpt-4.1-mini", VALUES.alice, CredentialSource.PROVIDER_KEY],
      ["alice-own", VALUES.own, CredentialSource.MODEL_SECRET],
    ]);
    // Bob's model uses Bob's key, never Alice's.
    const bobEp = (await gateway.createEndpoint({ name: "bob-ep", modelConfigs: [{ modelDefinitionId: bobModel }] }, as(tokens.bob))).endpoint!;
    const bobs = (await gateway.getEndpointConfig({ endpointName: "bob-ep" }, as(tokens.service))).config!;
    expect(bobs.models.map((m) => [m.value, m.credentialSource])).toEqual([[VALUES.bob, CredentialSource.PROVIDER_KEY]]);
    expect(bobEp.endpointId).toMatch(/^e-/);

    // Carol has no anthropic key: NO_CREDENTIAL, until an admin sets a shared one.
    const carolModel = (await gateway.createModelDefinition({ name: "carol-claude", provider: "anthropic", modelName: "claude-sonnet-4-20250514" }, as(tokens.carol))).modelDefinition!.modelDefinitionId;
    await gateway.createEndpoint({ name: "carol-ep", modelConfigs: [{ modelDefinitionId: carolModel }] }, as(tokens.carol));
    const none = (await gateway.getEndpointConfig({ endpointName: "carol-ep" }, as(tokens.service))).config!;
    expect(none.models).toEqual([]);
    expect(none.unavailable[0]).toMatchObject({ modelDefinitionId: carolModel, reason: UnavailableReason.NO_CREDENTIAL });
    expect(none.unavailable[0]!.message).toBe(
      'model definition "carol-claude" has no secret of its own and no anthropic provider key applies: set one with SetProviderKey (POST /api/3.0/mlflow/gateway/provider-keys/set), or give the model definition a secret',
    );
    const sharedSecret = (await secrets.createSecret({ secretName: "anthropic-shared", secretValue: VALUES.shared, fieldName: "ANTHROPIC_API_KEY", provider: "anthropic", isShared: true }, as(t.adminToken))).secret!.secretId;
    expect(await outcome(providers.setProviderKey({ provider: "anthropic", key: { case: "secretId", value: sharedSecret }, isShared: true }, as(tokens.carol)))).toBe("PermissionDenied: only admins set a provider's shared key");
    const privateSecret = (await secrets.createSecret({ secretName: "admin-private-anthropic", secretValue: VALUES.shared, fieldName: "K", provider: "anthropic" }, as(t.adminToken))).secret!.secretId;
    expect(await outcome(providers.setProviderKey({ provider: "anthropic", key: { case: "secretId", value: privateSecret }, isShared: true }, as(t.adminToken)))).toMatch(/^FailedPrecondition: .* a shared provider key must be a shared secret/);
    await providers.setProviderKey({ provider: "anthropic", key: { case: "secretId", value: sharedSecret }, isShared: true }, as(t.adminToken));
    const shared = (await gateway.getEndpointConfig({ endpointName: "carol-ep" }, as(tokens.service))).config!;
    expect(shared.models.map((m) => [m.value, m.credentialSource])).toEqual([[VALUES.shared, CredentialSource.SHARED_PROVIDER_KEY]]);
  });

  it("on_behalf_of picks another principal's keys, for services only, and is audited as such", async () => {
    const asBob = (await gateway.getEndpointConfig({ endpointName: "alice-ep", onBehalfOf: "bob" }, as(tokens.service))).config!;
    expect(asBob.models.filter((m) => m.credentialSource === CredentialSource.PROVIDER_KEY).map((m) => m.value)).toEqual([VALUES.bob, VALUES.bob, VALUES.bob]);
    expect(await outcome(gateway.getEndpointConfig({ endpointName: "alice-ep", onBehalfOf: "bob" }, as(tokens.alice)))).toMatch(/^PermissionDenied/);
    expect(await outcome(gateway.getEndpointConfig({ endpointName: "alice-ep", onBehalfOf: "bob" }, as(t.adminToken)))).toBe("PermissionDenied: on_behalf_of is accepted from service principals only");
    await t.server.services.audit.flush();
    const events = await sqlRows<{ subject: string; secret_id: string }>(t.server.services.database.db, sql`select subject, secret_id from audit_events where action = 'GetEndpointConfig' and subject = 'bob' and outcome = 'ok'`);
    expect(events.length).toBeGreaterThan(0);
  });

  it("rotating the key's secret reaches every model that relies on it on the next resolve", async () => {
    const key = (await providers.getProviderKey({ provider: "openai" }, as(tokens.alice))).providerKey!;
    await secrets.updateSecret({ secretId: key.secretId, secretValue: VALUES.aliceRotated }, as(tokens.alice));
    const { configs } = await gateway.getResourceEndpointConfigs({ resourceType: "SCORER_JOB", resourceId: "alice-job" }, as(tokens.service));
    const onKey = configs[0]!.models.filter((m) => m.credentialSource === CredentialSource.PROVIDER_KEY);
    expect(onKey.map((m) => [m.value, m.version])).toEqual([
      [VALUES.aliceRotated, 2],
      [VALUES.aliceRotated, 2],
      [VALUES.aliceRotated, 2],
    ]);
    // The model definitions did not change.
    for (const id of aliceModels) expect((await gateway.getModelDefinition({ modelDefinitionId: id }, as(tokens.alice))).modelDefinition!.secretId).toBe("");
  });

  it("lists and shows status per provider; unsetting a key keeps its secret", async () => {
    const listed = await providers.listProviderKeys({}, as(tokens.alice));
    expect(listed.providerKeys.map((k) => [k.provider, k.principal, k.isShared])).toEqual([
      ["anthropic", "", true],
      ["openai", "alice", false],
    ]);
    expect(JSON.stringify(listed, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toMatch(/sk-alice|sk-ant-shared/);
    expect(await outcome(providers.listProviderKeys({ principal: "bob" }, as(tokens.alice)))).toMatch(/^PermissionDenied/);
    expect((await providers.listProviderKeys({ principal: "bob" }, as(t.adminToken))).providerKeys.map((k) => k.principal)).toEqual(["", "bob"]);

    const alice = (await providers.getProviderKeyStatus({}, as(tokens.alice))).providers;
    expect(alice.find((p) => p.provider === "openai")).toMatchObject({ hasOwnKey: true, hasSharedKey: false, modelsOnOwnKey: 3, modelsWithoutKey: 0 });
    const carol = (await providers.getProviderKeyStatus({}, as(tokens.carol))).providers;
    expect(carol.find((p) => p.provider === "anthropic")).toMatchObject({ hasOwnKey: false, hasSharedKey: true, modelsOnSharedKey: 1 });

    await providers.deleteProviderKey({ provider: "openai" }, as(tokens.alice));
    expect(await outcome(providers.getProviderKey({ provider: "openai" }, as(tokens.alice)))).toBe("NotFound: you have no key for openai: set one with SetProviderKey");
    expect((await secrets.getSecret({ secretName: "alice-openai" }, as(tokens.alice))).secret!.secretName).toBe("alice-openai");
    expect(await outcome(providers.deleteProviderKey({ provider: "anthropic", isShared: true }, as(tokens.alice)))).toMatch(/^PermissionDenied/);
    const after = (await gateway.getEndpointConfig({ endpointName: "alice-ep" }, as(tokens.service))).config!;
    expect(after.unavailable.map((u) => u.reason)).toEqual([UnavailableReason.NO_CREDENTIAL, UnavailableReason.NO_CREDENTIAL, UnavailableReason.NO_CREDENTIAL]);
  });

  it("no value reaches a log line, an audit event or an error", async () => {
    await t.server.services.audit.flush();
    const events = await sqlRows(t.server.services.database.db, sql`select * from audit_events`);
    const everything = JSON.stringify(events) + t.logs();
    for (const v of Object.values(VALUES)) expect(everything).not.toContain(v);
  });
});

describe("provider keys over REST", () => {
  it("sets, reads and deletes a key at the gateway's routes", async () => {
    const rest = async (method: string, path: string, body?: object) => {
      const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${tokens.bob}`, "content-type": "application/json" }, body: body && JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };
    const set = await rest("POST", "/api/3.0/mlflow/gateway/provider-keys/set", { provider: "mistral", new_secret: { secret_name: "bob-mistral", secret_fields: { api_key: "mistral-key-0000000001" } } });
    expect(set).toMatchObject({ status: 200, json: { provider_key: { provider: "mistral", principal: "bob" }, provider_check: { catalogued: true, auth_mode: "api_key" } } });
    expect((await rest("GET", "/api/3.0/mlflow/gateway/provider-keys/get?provider=mistral")).json.provider_key.secret_name).toBe("bob-mistral");
    expect((await rest("DELETE", "/api/3.0/mlflow/gateway/provider-keys/delete", { provider: "mistral" })).status).toBe(200);
    expect((await rest("POST", "/api/3.0/mlflow/gateway/provider-keys/set", { provider: "not-a-provider", secret_id: "x" })).status).toBe(400);
  });
});
