import { type Transport, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayService, LinkageType, UnavailableReason } from "../gen/secrets/v1/gateway_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { sqlRows } from "./support/database.js";
import { as, outcome } from "./support/calls.js";
import { type TestServer, startTestServer } from "./support/server.js";

/**
 * MLflow's gateway layer against a real server: model definitions,
 * endpoints, bindings and resolved configs, over gRPC, Connect and REST,
 * with two users and a service.
 */

let t: TestServer;
const tokens = {} as Record<"alice" | "bob" | "service", string>;
const KEYS = { shared: "sk-shared-openai-key-000000000001", private: "sk-alice-private-anthropic-0000001", bob: "sk-bob-own-mistral-key-0000000001" };

beforeAll(async () => {
  t = await startTestServer({ env: { SECRETS_RESOLVE_BURST: "100000" } });
  tokens.alice = await t.token("user", "alice");
  tokens.bob = await t.token("user", "bob");
  tokens.service = await t.token("service", "scorer");
});
afterAll(async () => {
  await t?.stop();
});


const transports: Record<string, () => Transport> = {
  grpc: () => createGrpcTransport({ baseUrl: t.baseUrl }),
  connect: () => createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }),
};

describe.each(Object.keys(transports))("the gateway over %s", (protocol) => {
  let gw: ReturnType<typeof createClient<typeof GatewayService>>;
  let secrets: ReturnType<typeof createClient<typeof SecretsService>>;
  const ids = {} as Record<"shared" | "private" | "bob" | "gpt" | "claude" | "mistral" | "publicEp" | "privateEp", string>;
  const n = (s: string) => `${s}-${protocol}`;

  beforeAll(async () => {
    gw = createClient(GatewayService, transports[protocol]!());
    secrets = createClient(SecretsService, transports[protocol]!());
    ids.shared = (await secrets.createSecret({ secretName: n("shared-openai"), secretValue: KEYS.shared, fieldName: "OPENAI_API_KEY", provider: "openai", isShared: true, authConfig: { api_base: "https://api.openai.com/v1" } }, as(tokens.alice))).secret!.secretId;
    ids.private = (await secrets.createSecret({ secretName: n("alice-anthropic"), secretFields: { api_key: KEYS.private }, fieldName: "ANTHROPIC_API_KEY", provider: "anthropic" }, as(tokens.alice))).secret!.secretId;
    ids.bob = (await secrets.createSecret({ secretName: n("bob-mistral"), secretValue: KEYS.bob, fieldName: "MISTRAL_API_KEY", provider: "mistral" }, as(tokens.bob))).secret!.secretId;
  });

  it("creates model definitions on secrets the caller may use, and refuses the others as if they did not exist", async () => {
    const gpt = await gw.createModelDefinition({ name: n("gpt-4o"), secretId: ids.shared, provider: "openai", modelName: "gpt-4o" }, as(tokens.bob));
    expect(gpt.modelDefinition).toMatchObject({ name: n("gpt-4o"), secretId: ids.shared, secretName: n("shared-openai"), provider: "openai", modelName: "gpt-4o", createdBy: "bob" });
    expect(gpt.modelDefinition!.modelDefinitionId).toMatch(/^d-/);
    ids.gpt = gpt.modelDefinition!.modelDefinitionId;
    ids.claude = (await gw.createModelDefinition({ name: n("claude"), secretId: ids.private, provider: "anthropic", modelName: "claude-sonnet-4" }, as(tokens.alice))).modelDefinition!.modelDefinitionId;
    ids.mistral = (await gw.createModelDefinition({ name: n("mistral"), secretId: ids.bob, provider: "mistral", modelName: "mistral-large" }, as(tokens.bob))).modelDefinition!.modelDefinitionId;

    // Alice's private secret is invisible to Bob: NOT_FOUND, word for word as a missing one.
    const missing = "01a20000-0000-7000-8000-000000000000";
    const onPrivate = await outcome(gw.createModelDefinition({ name: n("stolen"), secretId: ids.private, provider: "anthropic", modelName: "x" }, as(tokens.bob)));
    const onMissing = await outcome(gw.createModelDefinition({ name: n("stolen"), secretId: missing, provider: "anthropic", modelName: "x" }, as(tokens.bob)));
    expect(onPrivate.replace(ids.private, "ID")).toBe(onMissing.replace(missing, "ID"));
    expect(onPrivate).toMatch(/^NotFound/);
    // So is a model definition on it.
    const privateDef = await outcome(gw.getModelDefinition({ modelDefinitionId: ids.claude }, as(tokens.bob)));
    expect(privateDef.replace(ids.claude, "ID")).toBe((await outcome(gw.getModelDefinition({ modelDefinitionId: "d-missing" }, as(tokens.bob)))).replace("d-missing", "ID"));
    expect((await gw.getModelDefinition({ name: n("claude") }, as(tokens.alice))).modelDefinition!.modelDefinitionId).toBe(ids.claude);
    const bobs = await gw.listModelDefinitions({ pageSize: 1000 }, as(tokens.bob));
    expect(bobs.modelDefinitions.map((d) => d.modelDefinitionId)).toEqual(expect.arrayContaining([ids.gpt, ids.mistral]));
    expect(bobs.modelDefinitions.map((d) => d.modelDefinitionId)).not.toContain(ids.claude);
    expect((await gw.listModelDefinitions({ secretId: ids.shared }, as(tokens.alice))).modelDefinitions.map((d) => d.modelDefinitionId)).toEqual([ids.gpt]);
    // Bob may see Alice's shared-key definition, not change it; Alice may not change Bob's.
    expect(await outcome(gw.updateModelDefinition({ modelDefinitionId: ids.mistral, modelName: "mistral-small" }, as(tokens.alice)))).toMatch(/^NotFound/);
    expect(await outcome(gw.createModelDefinition({ name: n("gpt-4o"), secretId: ids.shared, provider: "openai", modelName: "gpt-4o" }, as(tokens.alice)))).toBe("AlreadyExists: a model definition of that name already exists");
  });

  it("creates an endpoint with weighted primaries and ordered fallbacks, in one transaction", async () => {
    const created = await gw.createEndpoint(
      {
        name: n("chat"),
        modelConfigs: [
          { modelDefinitionId: ids.claude, linkageType: LinkageType.FALLBACK, fallbackOrder: 0 },
          { modelDefinitionId: ids.gpt, linkageType: LinkageType.PRIMARY, weight: 3 },
          { modelDefinitionId: ids.claude, linkageType: LinkageType.PRIMARY, weight: 1 },
        ],
        fallbackConfig: { maxAttempts: 1 },
      },
      as(tokens.alice),
    );
    const ep = created.endpoint!;
    ids.privateEp = ep.endpointId;
    expect(ep.endpointId).toMatch(/^e-/);
    // Primaries first, then fallbacks in order, whatever order they were given in.
    expect(ep.modelMappings.map((m) => [m.modelDefinitionId, m.linkageType, m.fallbackOrder])).toEqual([
      [ids.gpt, LinkageType.PRIMARY, undefined],
      [ids.claude, LinkageType.PRIMARY, undefined],
      [ids.claude, LinkageType.FALLBACK, 0],
    ]);
    expect(ep.modelMappings.map((m) => m.weight).slice(0, 2).sort()).toEqual([1, 3]);
    expect(ep.modelMappings[0]!.modelDefinition).toMatchObject({ name: n("gpt-4o") });
    expect(ep.fallbackConfig).toMatchObject({ maxAttempts: 1 });
    ids.publicEp = (await gw.createEndpoint({ name: n("public"), modelConfigs: [{ modelDefinitionId: ids.gpt }] }, as(tokens.alice))).endpoint!.endpointId;
    // Bob's model is in Alice's private endpoint too: the refusal counts that one, never names it.
    expect(await outcome(gw.deleteModelDefinition({ modelDefinitionId: ids.gpt }, as(tokens.bob)))).toBe(
      `FailedPrecondition: model definition "${n("gpt-4o")}" is used by endpoint ${n("public")}, 1 endpoint you cannot see: detach it from them first`,
    );

    // An endpoint that uses a private model definition is private.
    expect(await outcome(gw.getEndpoint({ endpointId: ids.privateEp }, as(tokens.bob)))).toMatch(/^NotFound/);
    expect((await gw.getEndpoint({ name: n("public") }, as(tokens.bob))).endpoint!.endpointId).toBe(ids.publicEp);
    const listed = await gw.listEndpoints({ pageSize: 1000 }, as(tokens.bob));
    expect(listed.endpoints.map((e) => e.endpointId)).toContain(ids.publicEp);
    expect(listed.endpoints.map((e) => e.endpointId)).not.toContain(ids.privateEp);
    // "Which endpoints use this key": both of Alice's use the shared one.
    const usingKey = await gw.listEndpoints({ secretId: ids.shared }, as(tokens.alice));
    expect(usingKey.endpoints.map((e) => e.name).sort()).toEqual([n("chat"), n("public")]);
    expect((await gw.listEndpoints({ provider: "anthropic" }, as(tokens.alice))).endpoints.map((e) => e.name)).toContain(n("chat"));
    expect((await gw.listEndpoints({ provider: "anthropic" }, as(tokens.alice))).endpoints.map((e) => e.name)).not.toContain(n("public"));
    // Bob sees the public one but may not change it, nor use Alice's private model in his own.
    expect(await outcome(gw.setEndpointTag({ endpointId: ids.publicEp, key: "team", value: "b" }, as(tokens.bob)))).toMatch(/^PermissionDenied/);
    expect(await outcome(gw.createEndpoint({ name: n("bobs"), modelConfigs: [{ modelDefinitionId: ids.claude }] }, as(tokens.bob)))).toBe(`NotFound: model definitions not found: ${ids.claude}`);
  });

  it.each([
    ["no models", [], "an endpoint needs at least one PRIMARY model"],
    ["only fallbacks", [{ linkageType: LinkageType.FALLBACK, fallbackOrder: 0 }], "an endpoint needs at least one PRIMARY model"],
    ["a zero weight", [{ weight: 0 }], "model_configs[0].weight must be a number greater than 0"],
    ["a negative weight", [{ weight: -1 }], "weight must be a number greater than 0"],
    ["a fallback without order", [{}, { linkageType: LinkageType.FALLBACK }], "model_configs[1] is a FALLBACK without fallback_order"],
    ["an order on a primary", [{ fallbackOrder: 1 }], "fallback_order is only for FALLBACK models"],
    ["an unknown linkage type", [{ linkageType: 7 as LinkageType }], "model_configs[0].linkage_type must be PRIMARY or FALLBACK"],
    ["the same model twice as primary", [{}, {}], "is given twice as PRIMARY"],
    [
      "two fallbacks in one place",
      [{}, { linkageType: LinkageType.FALLBACK, fallbackOrder: 0 }, { linkageType: LinkageType.FALLBACK, fallbackOrder: 0, second: true }],
      "fallback_order 0 is given to two models",
    ],
  ] as const)("refuses an endpoint with %s", async (_what, configs, message) => {
    const modelConfigs = configs.map((c) => ({ modelDefinitionId: "second" in c ? ids.mistral : ids.gpt, ...c }));
    const answer = await outcome(gw.createEndpoint({ name: n("invalid"), modelConfigs }, as(tokens.bob)));
    expect(answer).toMatch(/^InvalidArgument: /);
    expect(answer).toContain(message);
  });

  it("refuses max_attempts beyond the fallbacks there are", async () => {
    expect(
      await outcome(gw.createEndpoint({ name: n("invalid"), modelConfigs: [{ modelDefinitionId: ids.gpt }, { modelDefinitionId: ids.mistral, linkageType: LinkageType.FALLBACK, fallbackOrder: 0 }], fallbackConfig: { maxAttempts: 2 } }, as(tokens.bob))),
    ).toBe("InvalidArgument: fallback_config.max_attempts is 2 but the endpoint has 1 fallback model");
  });

  it("updates replace every mapping at once; attach, detach and tags change one thing", async () => {
    const mine = (await gw.createEndpoint({ name: n("editable"), modelConfigs: [{ modelDefinitionId: ids.gpt }] }, as(tokens.bob))).endpoint!;
    const replaced = await gw.updateEndpoint(
      { endpointId: mine.endpointId, name: n("edited"), modelConfigs: [{ modelDefinitionId: ids.mistral, weight: 2 }, { modelDefinitionId: ids.gpt, linkageType: LinkageType.FALLBACK, fallbackOrder: 0 }] },
      as(tokens.bob),
    );
    expect(replaced.endpoint!.name).toBe(n("edited"));
    expect(replaced.endpoint!.modelMappings.map((m) => [m.modelDefinitionId, m.linkageType])).toEqual([
      [ids.mistral, LinkageType.PRIMARY],
      [ids.gpt, LinkageType.FALLBACK],
    ]);
    // A failed replacement changes nothing.
    expect(await outcome(gw.updateEndpoint({ endpointId: mine.endpointId, modelConfigs: [{ modelDefinitionId: ids.gpt }, { modelDefinitionId: "d-nope" }] }, as(tokens.bob)))).toMatch(/^NotFound/);
    expect((await gw.getEndpoint({ endpointId: mine.endpointId }, as(tokens.bob))).endpoint!.modelMappings).toHaveLength(2);

    const attached = await gw.attachModelToEndpoint({ endpointId: mine.endpointId, modelConfig: { modelDefinitionId: ids.gpt, weight: 1 } }, as(tokens.bob));
    expect(attached.mapping).toMatchObject({ modelDefinitionId: ids.gpt, linkageType: LinkageType.PRIMARY });
    expect(await outcome(gw.attachModelToEndpoint({ endpointId: mine.endpointId, modelConfig: { modelDefinitionId: ids.gpt } }, as(tokens.bob)))).toMatch(/^AlreadyExists: .* already attached .* as PRIMARY/);
    expect(await outcome(gw.detachModelFromEndpoint({ endpointId: mine.endpointId, modelDefinitionId: ids.gpt }, as(tokens.bob)))).toMatch(/^InvalidArgument: .* as PRIMARY and as FALLBACK: say which/);
    await gw.detachModelFromEndpoint({ endpointId: mine.endpointId, modelDefinitionId: ids.gpt, linkageType: LinkageType.PRIMARY }, as(tokens.bob));
    expect(await outcome(gw.detachModelFromEndpoint({ endpointId: mine.endpointId, modelDefinitionId: ids.mistral }, as(tokens.bob)))).toMatch(/^FailedPrecondition: .* without a PRIMARY model/);

    await gw.setEndpointTag({ endpointId: mine.endpointId, key: "team", value: "ml" }, as(tokens.bob));
    await gw.setEndpointTag({ endpointId: mine.endpointId, key: "team", value: "ml-platform" }, as(tokens.bob));
    expect((await gw.getEndpoint({ endpointId: mine.endpointId }, as(tokens.bob))).endpoint!.tags).toEqual([expect.objectContaining({ key: "team", value: "ml-platform" })]);
    expect(await outcome(gw.setEndpointTag({ endpointId: mine.endpointId, key: "k".repeat(251), value: "v" }, as(tokens.bob)))).toBe("InvalidArgument: key is longer than 250 characters");
    expect(await outcome(gw.setEndpointTag({ endpointId: mine.endpointId, key: "k", value: "v".repeat(5001) }, as(tokens.bob)))).toBe("InvalidArgument: value is longer than 5000 characters");
    await gw.deleteEndpointTag({ endpointId: mine.endpointId, key: "team" }, as(tokens.bob));
    await gw.deleteEndpointTag({ endpointId: mine.endpointId, key: "never-set" }, as(tokens.bob));
    expect((await gw.getEndpoint({ endpointId: mine.endpointId }, as(tokens.bob))).endpoint!.tags).toEqual([]);

    // A model definition in use cannot be deleted; the message names the endpoints.
    expect(await outcome(gw.deleteModelDefinition({ modelDefinitionId: ids.mistral }, as(tokens.bob)))).toBe(`FailedPrecondition: model definition "${n("mistral")}" is used by endpoint ${n("edited")}: detach it from them first`);
    await gw.deleteEndpoint({ endpointId: mine.endpointId }, as(tokens.bob));
    expect(await outcome(gw.getEndpoint({ endpointId: mine.endpointId }, as(tokens.bob)))).toMatch(/^NotFound/);
  });

  it("binds endpoints to resources under the resource rules, and resolves them for services only", async () => {
    const job = n("scorer-job");
    await gw.createEndpointBinding({ endpointId: ids.privateEp, resourceType: "SCORER_JOB", resourceId: job, displayName: "nightly scorer" }, as(tokens.alice));
    await gw.createEndpointBinding({ endpointId: ids.publicEp, resourceType: "SCORER_JOB", resourceId: job }, as(tokens.alice));
    expect(await outcome(gw.createEndpointBinding({ endpointId: ids.publicEp, resourceType: "SCORER_JOB", resourceId: job }, as(tokens.alice)))).toMatch(/^AlreadyExists/);
    // Bob may not bind anything to Alice's job, nor list it.
    expect(await outcome(gw.createEndpointBinding({ endpointId: ids.publicEp, resourceType: "SCORER_JOB", resourceId: job }, as(tokens.bob)))).toMatch(/^PermissionDenied: SCORER_JOB\/.* belongs to another principal/);
    expect(await outcome(gw.listEndpointBindings({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.bob)))).toMatch(/^PermissionDenied/);
    const listed = await gw.listEndpointBindings({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.alice));
    expect(listed.bindings.map((b) => [b.endpointName, b.displayName])).toEqual(expect.arrayContaining([[n("chat"), "nightly scorer"], [n("public"), ""]]));

    // Users never get credentials.
    expect(await outcome(gw.getResourceEndpointConfigs({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.alice)))).toBe("PermissionDenied: GetResourceEndpointConfigs is not allowed for role user");
    const { configs } = await gw.getResourceEndpointConfigs({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.service));
    expect(configs.map((c) => c.endpointName)).toEqual([n("chat"), n("public")]);
    const chat = configs[0]!;
    expect(chat.models.map((m) => [m.name, m.linkageType, m.weight, m.fallbackOrder])).toEqual([
      [n("gpt-4o"), LinkageType.PRIMARY, 3, undefined],
      [n("claude"), LinkageType.PRIMARY, 1, undefined],
      [n("claude"), LinkageType.FALLBACK, 1, 0],
    ]);
    expect(chat.models[0]).toMatchObject({ value: KEYS.shared, authConfig: { api_base: "https://api.openai.com/v1" }, provider: "openai", modelName: "gpt-4o", secretId: ids.shared, version: 1 });
    expect(chat.models[1]).toMatchObject({ fields: { api_key: KEYS.private }, value: "" });
    expect(chat.unavailable).toEqual([]);
    expect(chat.fallbackConfig).toMatchObject({ maxAttempts: 1 });
    const one = await gw.getEndpointConfig({ endpointName: n("public") }, as(tokens.service));
    expect(one.config!.models.map((m) => m.value)).toEqual([KEYS.shared]);
    expect(await outcome(gw.getEndpointConfig({ endpointName: n("nope") }, as(tokens.service)))).toMatch(/^NotFound/);
    expect((await gw.getResourceEndpointConfigs({ resourceType: "SCORER_JOB", resourceId: n("nobody-bound-this") }, as(tokens.service))).configs).toEqual([]);

    // Every secret handed out has its own audit event, with its version, by secret id.
    await t.server.services.audit.flush();
    for (const secretId of [ids.shared, ids.private]) {
      const events = await secrets.listAuditEvents({ secretId, action: "GetResourceEndpointConfigs" }, as(t.adminToken));
      expect(events.events[0]).toMatchObject({ principal: "scorer", secretId, secretVersion: 1, resourceType: "SCORER_JOB", resourceId: job, outcome: "ok" });
    }
    const byName = await secrets.listAuditEvents({ secretId: ids.shared, action: "GetEndpointConfig" }, as(t.adminToken));
    expect(byName.events[0]).toMatchObject({ resourceType: "GATEWAY_ENDPOINT", resourceId: n("public") });

    // The binding goes with its endpoint, or by itself.
    await gw.deleteEndpointBinding({ endpointId: ids.publicEp, resourceType: "SCORER_JOB", resourceId: job }, as(tokens.alice));
    expect((await gw.getResourceEndpointConfigs({ resourceType: "SCORER_JOB", resourceId: job }, as(tokens.service))).configs.map((c) => c.endpointName)).toEqual([n("chat")]);
  });

  it("lists an orphaned, a revoked and an undecryptable model in unavailable[], never silently dropping one", async () => {
    const mk = async (name: string, value: string) => {
      const secretId = (await secrets.createSecret({ secretName: n(name), secretValue: value, fieldName: "K", provider: "openai" }, as(tokens.bob))).secret!.secretId;
      const modelDefinitionId = (await gw.createModelDefinition({ name: n(`${name}-model`), secretId, provider: "openai", modelName: "gpt-4o-mini" }, as(tokens.bob))).modelDefinition!.modelDefinitionId;
      return { secretId, modelDefinitionId };
    };
    const good = await mk("good", "sk-still-good-value-0000000001");
    const gone = await mk("gone", "sk-to-be-deleted-value-000001");
    const revoked = await mk("revoked", "sk-to-be-revoked-value-00001");
    const tampered = await mk("tampered", "sk-to-be-tampered-value-0001");
    const endpoint = (
      await gw.createEndpoint(
        {
          name: n("degraded"),
          modelConfigs: [good, gone, revoked].map((m) => ({ modelDefinitionId: m.modelDefinitionId })).concat([{ modelDefinitionId: tampered.modelDefinitionId, linkageType: LinkageType.FALLBACK, fallbackOrder: 0 } as never]),
        },
        as(tokens.bob),
      )
    ).endpoint!;
    await gw.createEndpointBinding({ endpointId: endpoint.endpointId, resourceType: "SCORER_JOB", resourceId: n("degraded-job") }, as(tokens.bob));
    await secrets.deleteSecret({ secretId: gone.secretId }, as(tokens.bob));
    await secrets.revokeSecret({ secretId: revoked.secretId }, as(tokens.bob));
    await t.server.services.database.db.execute(sql`update secret_versions set wrapped_dek = set_byte(wrapped_dek, 20, get_byte(wrapped_dek, 20) # 1) where secret_id = ${tampered.secretId}`);

    // Deleting the key orphans its model definition, which shows it needs one.
    expect((await gw.getModelDefinition({ modelDefinitionId: gone.modelDefinitionId }, as(tokens.bob))).modelDefinition).toMatchObject({ secretId: "", secretName: "" });
    const { config } = await gw.getEndpointConfig({ endpointName: n("degraded") }, as(tokens.service));
    expect(config!.models.map((m) => m.secretId)).toEqual([good.secretId]);
    expect(config!.unavailable.map((u) => [u.modelDefinitionId, u.reason])).toEqual([
      // Its secret is gone and Bob has no openai provider key to fall back to.
      [gone.modelDefinitionId, UnavailableReason.NO_CREDENTIAL],
      [revoked.modelDefinitionId, UnavailableReason.SECRET_REVOKED],
      [tampered.modelDefinitionId, UnavailableReason.SECRET_UNDECRYPTABLE],
    ]);
    for (const u of config!.unavailable) expect(u.message).not.toMatch(/sk-/);
    // Only the secret actually handed out is audited as such.
    await t.server.services.audit.flush();
    const handedOut = await sqlRows<{ secret_id: string }>(t.server.services.database.db, sql`select secret_id from audit_events where action = 'GetEndpointConfig' and resource_id = ${n("degraded")} and outcome = 'ok'`);
    expect(handedOut.map((r) => r.secret_id)).toEqual([good.secretId]);
  });
});

describe("api_base is checked when written", () => {
  let secrets: ReturnType<typeof createClient<typeof SecretsService>>;
  beforeAll(() => {
    secrets = createClient(SecretsService, createGrpcTransport({ baseUrl: t.baseUrl }));
  });
  const create = (apiBase: string, name = `ab-${Math.random().toString(36).slice(2)}`) =>
    outcome(secrets.createSecret({ secretName: name, secretValue: "sk-api-base-test-000000000001", fieldName: "K", authConfig: { api_base: apiBase } }, as(tokens.alice)));

  it.each([
    ["http://api.example.com", "must be an https:// URL"],
    ["https://user:pass@api.example.com", "must not carry a user name or password"],
    ["https://127.0.0.1/v1", "loopback, private, link-local or metadata address"],
    ["https://10.1.2.3/v1", "loopback, private, link-local or metadata address"],
    ["https://192.168.0.10", "loopback, private, link-local or metadata address"],
    ["https://169.254.169.254/latest/meta-data", "loopback, private, link-local or metadata address"],
    ["https://[::1]/", "loopback, private, link-local or metadata address"],
    ["https://[fd00::1]/", "loopback, private, link-local or metadata address"],
    ["https://[::ffff:7f00:1]/", "loopback, private, link-local or metadata address"],
    ["https://0x7f.1/", "non-canonical form"],
    ["https://2130706433/", "non-canonical form"],
    ["https://0177.0.0.1/", "non-canonical form"],
    ["https://localhost:8443/", "this host or a metadata service"],
    ["https://metadata.google.internal/", "this host or a metadata service"],
    ["not a url", "is not a URL"],
  ])("refuses %s", async (apiBase, message) => {
    const answer = await create(apiBase);
    expect(answer).toMatch(/^InvalidArgument: auth_config\.api_base/);
    expect(answer).toContain(message);
    expect(answer).not.toContain("sk-api-base");
  });

  it("accepts a public https address, and a new api_base only with the value again", async () => {
    expect(await create("https://api.mistral.ai/v1", "public-base")).toBe("ok");
    expect(await create("https://8.8.8.8/v1", "public-ip")).toBe("ok");
    const { secret } = await secrets.getSecret({ secretName: "public-base" }, as(tokens.alice));
    expect(await outcome(secrets.updateSecret({ secretId: secret!.secretId, authConfig: { api_base: "https://attacker.example" } }, as(tokens.alice)))).toBe(
      "InvalidArgument: changing auth_config.api_base would send the stored key to another host: give the secret's value again in the same call",
    );
    expect(await outcome(secrets.updateSecret({ secretId: secret!.secretId, clearAuthConfig: true }, as(tokens.alice)))).toMatch(/^InvalidArgument: changing auth_config.api_base/);
    expect(await outcome(secrets.updateSecret({ secretId: secret!.secretId, authConfig: { api_base: "https://api.mistral.ai/v1", region: "eu" } }, as(tokens.alice)))).toBe("ok");
    expect(await outcome(secrets.updateSecret({ secretId: secret!.secretId, secretValue: "sk-new-key-for-new-host-0000001", authConfig: { api_base: "https://eu.api.mistral.ai/v1" } }, as(tokens.alice)))).toBe("ok");
  });

  it("refuses api_base as a secret field and a credential in auth_config", async () => {
    expect(await outcome(secrets.createSecret({ secretName: "misplaced", secretFields: { api_key: "sk-x-000000000000001", api_base: "https://api.openai.com" }, fieldName: "K" }, as(tokens.alice)))).toBe(
      "InvalidArgument: api_base is where the key is sent, not part of it: put it in auth_config",
    );
    expect(await outcome(secrets.createSecret({ secretName: "misplaced", secretValue: "sk-x-000000000000001", fieldName: "K", authConfig: { api_key: "sk-x-000000000000001" } }, as(tokens.alice)))).toMatch(
      /^InvalidArgument: auth_config is stored unencrypted/,
    );
  });

  it("allows private addresses for a self-hosted model server when SECRETS_ALLOW_PRIVATE_API_BASE says so", async () => {
    const own = await startTestServer({ env: { SECRETS_ALLOW_PRIVATE_API_BASE: "1" } });
    try {
      const client = createClient(SecretsService, createGrpcTransport({ baseUrl: own.baseUrl }));
      const made = await client.createSecret({ secretName: "vllm", secretValue: "sk-self-hosted-00000000001", fieldName: "K", authConfig: { api_base: "https://10.0.0.7:8000/v1" } }, as(own.adminToken));
      expect(made.secret!.authConfig).toEqual({ api_base: "https://10.0.0.7:8000/v1" });
      expect(await outcome(client.createSecret({ secretName: "plain", secretValue: "sk-self-hosted-00000000001", fieldName: "K", authConfig: { api_base: "http://10.0.0.7" } }, as(own.adminToken)))).toMatch(/https:\/\//);
    } finally {
      await own.stop();
    }
  });
});

describe("MLflow's REST routes and JSON shapes", () => {
  const rest = async (token: string, method: string, path: string, body?: object) => {
    const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body && JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  it("replays MLflow's documented requests: API key, model definition, endpoint, binding, tags, and the UI's ajax-api calls", async () => {
    const key = await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/secrets/create", {
      secret_name: "mlflow-openai",
      secret_value: { api_key: "sk-mlflow-rest-key-000000000001" },
      provider: "openai",
      auth_config: { api_base: "https://api.openai.com/v1" },
    });
    expect(key.status).toBe(200);
    expect(key.json.secret).toMatchObject({ secret_name: "mlflow-openai", masked_values: { api_key: "sk-...0001" }, provider: "openai", field_name: "OPENAI_API_KEY", is_shared: false });
    expect(JSON.stringify(key.json)).not.toContain("sk-mlflow-rest-key-000000000001");
    const secretId = key.json.secret.secret_id as string;
    expect((await rest(tokens.alice, "GET", `/ajax-api/3.0/mlflow/gateway/secrets/get?secret_name=mlflow-openai`)).json.secret.secret_id).toBe(secretId);
    expect((await rest(tokens.alice, "GET", "/api/3.0/mlflow/gateway/secrets/list?provider=openai")).json.secrets.map((s: { secret_id: string }) => s.secret_id)).toContain(secretId);

    const def = await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/model-definitions/create", { name: "mlflow-gpt", secret_id: secretId, provider: "openai", model_name: "gpt-4o" });
    expect(def).toMatchObject({ status: 200, json: { model_definition: { name: "mlflow-gpt", secret_id: secretId, secret_name: "mlflow-openai", provider: "openai", model_name: "gpt-4o" } } });
    const defId = def.json.model_definition.model_definition_id as string;
    const fallbackDef = (await rest(tokens.alice, "POST", "/ajax-api/3.0/mlflow/gateway/model-definitions/create", { name: "mlflow-gpt-mini", secret_id: secretId, provider: "openai", model_name: "gpt-4o-mini" })).json.model_definition
      .model_definition_id as string;

    const ep = await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/endpoints/create", {
      name: "mlflow-chat",
      model_configs: [
        { model_definition_id: defId, linkage_type: "PRIMARY", weight: 1.0 },
        { model_definition_id: fallbackDef, linkage_type: "FALLBACK", fallback_order: 0 },
      ],
      routing_strategy: "REQUEST_BASED_TRAFFIC_SPLIT",
      fallback_config: { strategy: "SEQUENTIAL", max_attempts: 1 },
    });
    expect(ep.json).toMatchObject({ endpoint: expect.anything() });
    expect(ep.status).toBe(200);
    expect(ep.json.endpoint).toMatchObject({
      name: "mlflow-chat",
      routing_strategy: "REQUEST_BASED_TRAFFIC_SPLIT",
      fallback_config: { strategy: "SEQUENTIAL", max_attempts: 1 },
      model_mappings: [
        { model_definition_id: defId, linkage_type: "PRIMARY", weight: 1, model_definition: { name: "mlflow-gpt" } },
        { model_definition_id: fallbackDef, linkage_type: "FALLBACK", fallback_order: 0 },
      ],
    });
    const epId = ep.json.endpoint.endpoint_id as string;
    // An unknown spelling is refused, not defaulted.
    expect(await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/endpoints/create", { name: "bogus", model_configs: [{ model_definition_id: defId, linkage_type: "BACKUP" }] })).toMatchObject({
      status: 400,
      json: { message: "linkage_type must be one of PRIMARY, FALLBACK" },
    });
    // The prefixed spelling is accepted too.
    expect((await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/endpoints/create", { name: "prefixed", model_configs: [{ model_definition_id: defId, linkage_type: "LINKAGE_TYPE_PRIMARY" }] })).status).toBe(200);

    expect((await rest(tokens.alice, "GET", `/ajax-api/3.0/mlflow/gateway/endpoints/get?endpoint_id=${epId}`)).json.endpoint.name).toBe("mlflow-chat");
    expect((await rest(tokens.alice, "GET", `/api/3.0/mlflow/gateway/endpoints/list?secret_id=${secretId}`)).json.endpoints.map((e: { name: string }) => e.name).sort()).toEqual(["mlflow-chat", "prefixed"]);
    for (const method of ["POST", "PATCH"]) {
      const updated = await rest(tokens.alice, method, "/api/3.0/mlflow/gateway/endpoints/update", { endpoint_id: epId, name: `mlflow-chat-${method}` });
      expect(updated).toMatchObject({ status: 200, json: { endpoint: { name: `mlflow-chat-${method}` } } });
      const renamed = await rest(tokens.alice, method, "/api/3.0/mlflow/gateway/model-definitions/update", { model_definition_id: defId, model_name: `gpt-4o-${method}` });
      expect(renamed.json.model_definition.model_name).toBe(`gpt-4o-${method}`);
    }
    const mapping = await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/endpoints/models/attach", { endpoint_id: epId, model_config: { model_definition_id: fallbackDef, linkage_type: "PRIMARY", weight: 2 } });
    expect(mapping).toMatchObject({ status: 200, json: { mapping: { model_definition_id: fallbackDef, linkage_type: "PRIMARY", weight: 2 } } });
    expect((await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/endpoints/models/detach", { endpoint_id: epId, model_definition_id: fallbackDef, linkage_type: "PRIMARY" })).status).toBe(200);
    expect((await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/endpoints/set-tag", { endpoint_id: epId, key: "owner", value: "ml" })).status).toBe(200);
    expect((await rest(tokens.alice, "DELETE", "/api/3.0/mlflow/gateway/endpoints/delete-tag", { endpoint_id: epId, key: "owner" })).status).toBe(200);

    const binding = await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/endpoints/bindings/create", { endpoint_id: epId, resource_type: "SCORER_JOB", resource_id: "mlflow-scorer", display_name: "my scorer" });
    expect(binding).toMatchObject({ status: 200, json: { binding: { endpoint_id: epId, endpoint_name: "mlflow-chat-PATCH", resource_type: "SCORER_JOB", resource_id: "mlflow-scorer", display_name: "my scorer" } } });
    expect((await rest(tokens.alice, "GET", `/api/3.0/mlflow/gateway/endpoints/bindings/list?endpoint_id=${epId}`)).json.bindings).toHaveLength(1);
    // MLflow's UI sends DELETE parameters as a JSON body; the query string works too.
    expect((await rest(tokens.alice, "DELETE", "/ajax-api/3.0/mlflow/gateway/endpoints/bindings/delete", { endpoint_id: epId, resource_type: "SCORER_JOB", resource_id: "mlflow-scorer" })).status).toBe(200);
    expect((await rest(tokens.alice, "GET", `/api/3.0/mlflow/gateway/endpoints/bindings/list?endpoint_id=${epId}`)).json.bindings).toEqual([]);
    // Credentials never leave over REST.
    expect((await rest(tokens.service, "POST", "/api/3.0/mlflow/gateway/endpoints/get-config", { endpoint_name: "mlflow-chat-PATCH" })).status).toBe(404);

    // The API key's update guard holds over MLflow's route too.
    const retarget = await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/secrets/update", { secret_id: secretId, auth_config: { api_base: "https://elsewhere.example" } });
    expect(retarget).toMatchObject({ status: 400, json: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect((await rest(tokens.alice, "POST", "/api/3.0/mlflow/gateway/secrets/update", { secret_id: secretId, secret_value: { api_key: "sk-mlflow-rotated-000000000002" } })).json.secret.masked_values).toEqual({ api_key: "sk-...0002" });

    expect((await rest(tokens.alice, "DELETE", `/api/3.0/mlflow/gateway/endpoints/delete?endpoint_id=${epId}`)).status).toBe(200);
    const inUse = await rest(tokens.alice, "DELETE", "/api/3.0/mlflow/gateway/model-definitions/delete", { model_definition_id: defId });
    expect(inUse).toMatchObject({ status: 412, json: { error_code: "INVALID_STATE" } });
    expect((await rest(tokens.alice, "DELETE", "/api/3.0/mlflow/gateway/secrets/delete", { secret_id: secretId })).status).toBe(200);
    expect((await rest(tokens.alice, "GET", `/api/3.0/mlflow/gateway/model-definitions/get?model_definition_id=${defId}`)).json.model_definition).toMatchObject({ secret_id: "" });
  });
});

describe("what the gateway leaves behind", () => {
  it("no value reaches a log line, an audit event or an error", async () => {
    await t.server.services.audit.flush();
    const events = await sqlRows(t.server.services.database.db, sql`select * from audit_events`);
    const everything = JSON.stringify(events) + t.logs();
    for (const v of [...Object.values(KEYS), "sk-mlflow-rest-key-000000000001", "sk-mlflow-rotated-000000000002", "sk-still-good-value-0000000001"]) expect(everything).not.toContain(v);
  });
});
